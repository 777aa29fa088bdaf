import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError, api } from '../api/client';
import type { Customer } from '../api/types';
import { Notice } from '../components/States';
import { TextField } from '../components/TextField';
import { errorText, fieldText } from '../lib/errors';
import { usePageTitle } from '../lib/hooks';

type Field = 'bebsy_customer_id' | 'name' | 'email' | 'locale';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The API's schema limit in its field problem ("must NOT have more than 200 characters"). */
const MAX_LENGTH = /more than (\d+) characters/;

export default function NewCustomerPage() {
  const { t } = useTranslation();
  usePageTitle(t('newCustomer.title'));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Field, string>>({ bebsy_customer_id: '', name: '', email: '', locale: 'nl' });
  const [clientErrors, setClientErrors] = useState<Partial<Record<Field, string>>>({});

  const create = useMutation({
    mutationFn: () =>
      api<Customer>('/customers', {
        method: 'POST',
        body: {
          bebsy_customer_id: values.bebsy_customer_id.trim(),
          name: values.name.trim(),
          email: values.email.trim(),
          locale: values.locale,
        },
      }),
    onSuccess: (customer) => {
      void queryClient.invalidateQueries({ queryKey: ['customers'] });
      void navigate(`/customers/${customer.id}`, { state: { created: true } });
    },
  });

  const serverErrors: Partial<Record<Field, string>> = {};
  if (create.error instanceof ApiError) {
    for (const [field, message] of Object.entries(create.error.fieldProblems())) {
      const max = MAX_LENGTH.exec(message)?.[1];
      serverErrors[field as Field] = max ? t('fields.maxLength', { max }) : fieldText(t, message);
    }
  }
  const errors = { ...serverErrors, ...clientErrors };
  const unplaced = create.error && Object.keys(serverErrors).length === 0;

  const validate = () => {
    const problems: Partial<Record<Field, string>> = {};
    if (!values.bebsy_customer_id.trim()) problems.bebsy_customer_id = t('fields.required');
    if (!values.name.trim()) problems.name = t('fields.required');
    if (!values.email.trim()) problems.email = t('fields.required');
    else if (!EMAIL.test(values.email.trim())) problems.email = t('fields.invalidEmail');
    return problems;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = validate();
    setClientErrors(problems);
    if (Object.keys(problems).length) {
      document.getElementById(`customer-${Object.keys(problems)[0]}`)?.focus();
      return;
    }
    create.mutate();
  };

  const set = (field: Field) => (event: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [field]: event.target.value }));
    setClientErrors((e) => ({ ...e, [field]: undefined }));
  };

  const input = (field: Exclude<Field, 'locale'>, type: string, autoComplete: string, hint?: string) => (
    <TextField
      id={`customer-${field}`}
      label={t(`newCustomer.${field}`)}
      name={field}
      type={type}
      autoComplete={autoComplete}
      required
      value={values[field]}
      onChange={set(field)}
      hint={hint}
      error={errors[field]}
    />
  );

  return (
    <div className="page page-narrow">
      <p className="breadcrumb">
        <Link to="/customers">← {t('customers.title')}</Link>
      </p>
      <h1>{t('newCustomer.title')}</h1>
      <p className="muted">{t('newCustomer.intro')}</p>
      {unplaced && <Notice kind="error">{errorText(t, create.error)}</Notice>}
      {create.error instanceof ApiError && create.error.code === 'customer_exists' && Object.keys(serverErrors).length > 0 && (
        <Notice kind="error">{t('errors.customer_exists')}</Notice>
      )}
      <form className="panel form" onSubmit={submit} noValidate>
        {input('name', 'text', 'name')}
        {input('email', 'email', 'email')}
        {input('bebsy_customer_id', 'text', 'off', t('newCustomer.bebsyIdHint'))}
        <div className="field">
          <label htmlFor="customer-locale">{t('newCustomer.locale')}</label>
          <select id="customer-locale" name="locale" value={values.locale} onChange={set('locale')}>
            <option value="nl">{t('language.nl')}</option>
            <option value="en">{t('language.en')}</option>
          </select>
        </div>
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? t('common.saving') : t('newCustomer.submit')}
          </button>
          <Link to="/customers" className="btn btn-ghost">
            {t('common.cancel')}
          </Link>
        </div>
      </form>
    </div>
  );
}
