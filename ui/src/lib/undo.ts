import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

/** How long an approval in the review queue can be taken back before it is sent. */
export const UNDO_MS = 5000;

/**
 * Holds one action back for a moment so it can be undone (Gmail's "undo send"): `hold(item)`
 * sends the item held before at once and holds this one for UNDO_MS; `undo()` drops it unsent;
 * leaving the page sends it. Nothing reaches the API while an item is held.
 */
export function useUndoWindow<T>(commit: (item: T) => void) {
  const [held, setHeld] = useState<T | null>(null);
  const pending = useRef<{ item: T; timer: ReturnType<typeof setTimeout> } | null>(null);
  const latestCommit = useRef(commit);
  useLayoutEffect(() => {
    latestCommit.current = commit;
  });

  const take = useCallback(() => {
    const current = pending.current;
    if (current) clearTimeout(current.timer);
    pending.current = null;
    setHeld(null);
    return current?.item;
  }, []);
  const flush = useCallback(() => {
    const item = take();
    if (item !== undefined) latestCommit.current(item);
  }, [take]);
  const hold = useCallback(
    (item: T) => {
      flush();
      pending.current = { item, timer: setTimeout(flush, UNDO_MS) };
      setHeld(item);
    },
    [flush],
  );

  useEffect(() => flush, [flush]);
  return { held, hold, undo: take };
}
