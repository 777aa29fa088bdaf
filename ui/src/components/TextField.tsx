import type { ComponentProps, ReactNode } from 'react';

type TextFieldProps = Omit<ComponentProps<'input'>, 'id' | 'aria-invalid' | 'aria-describedby'> & {
  /** The input's id: the label points at it; the hint is `${id}-hint`, the error `${id}-error`. */
  id: string;
  label: ReactNode;
  /** Help under the input. */
  hint?: ReactNode;
  /** What is wrong with the value (falsy: nothing). Marks the input invalid and takes the hint's place. */
  error?: ReactNode;
  /** Show the error inside the hint (the input stays described by `${id}-hint`) instead of in a paragraph of its own. */
  errorInHint?: boolean;
};

/**
 * A labelled input with an optional hint and an optional error, wired with aria-invalid and
 * aria-describedby. Every other prop (type, autoComplete, value, onChange, ref, ...) goes to the input.
 */
export function TextField({ id, label, hint, error, errorInHint = false, ...input }: TextFieldProps) {
  const errorAlone = !!error && !errorInHint;
  const hintShown = !errorAlone && !!(hint || error);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={errorAlone ? `${id}-error` : hintShown ? `${id}-hint` : undefined}
      />
      {errorAlone && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      {hintShown && (
        <p className="field-hint" id={`${id}-hint`}>
          {error ? <span className="field-error">{error}</span> : hint}
        </p>
      )}
    </div>
  );
}
