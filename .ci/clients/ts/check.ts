// Uses the generated types so `tsc --strict` checks them, not just parses them.
import type { components, paths } from "./schema";

type Path = keyof paths;
type Schema = keyof components["schemas"];

/// Every operation's successful JSON answer, if it declares one.
type Ok<P extends Path, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer B } } };
}
  ? B
  : never;

export const paths_seen: Path[] = [];
export const schemas_seen: Schema[] = [];
export type Answers = { [P in Path]: Ok<P, keyof paths[P]> };
