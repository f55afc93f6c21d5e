import { STATUS_LABEL } from '../format';

/** The status in words (and a colour), never colour alone. */
export function StatusBadge({ status }: { readonly status: keyof typeof STATUS_LABEL }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}
