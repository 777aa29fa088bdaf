import { useEffect, useId, useState } from 'react';
import { useDebouncedValue } from '../lib/hooks';

/** A search field that reports its value after typing pauses (debounced). */
export function SearchBox({ label, placeholder, value, onSearch }: { label: string; placeholder?: string; value: string; onSearch: (value: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const debounced = useDebouncedValue(text, 300);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (debounced.trim() !== value) onSearch(debounced.trim());
  }, [debounced]);
  return (
    <div className="field field-inline search">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" value={text} placeholder={placeholder} onChange={(e) => setText(e.target.value)} autoComplete="off" />
    </div>
  );
}
