/** Problems of a draft, a close or a file, in the shape the renderer translates (models.ts `problem`). */
import type { Problem } from '../../../shared/api/models';

export function problem(
  code: string,
  text: string,
  params: Problem['params'] = {},
  field: Problem['field'] = null,
): Problem {
  return { code, params, field, text };
}

/** The English sentences of a list, for an error message. */
export function problemsText(list: readonly Problem[]): string {
  return list.map((p) => p.text).join('; ');
}
