import { describeError } from '../api';

export function ErrorMessage({ error }: { readonly error: unknown }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}
