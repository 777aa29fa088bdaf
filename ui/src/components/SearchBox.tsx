import { useEffect, useId, useState } from 'react';
import { useDebouncedValue } from '../lib/hooks';

/** A search field that reports its value after typing pauses (debounced), or at once on Enter. */
export function SearchBox({
  label,
  placeholder,
  value,
  onSearch,
}: {
  label: string;
  placeholder?: string;
  value: string;
  onSearch: (value: string) => void;
}) {
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
      <input
        id={id}
        type="search"
        value={text}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && text.trim() !== value && onSearch(text.trim())}
        autoComplete="off"
      />
    </div>
  );
}
