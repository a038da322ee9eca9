// A storefront's typed client over the types openapi-typescript generates
// from openapi.json (TestTypeScriptClient compiles it with tsc --strict): if
// the document stops describing these calls, this stops compiling.
import type { paths, components } from "./api";

type Problem = components["schemas"]["Problem"];
type RegisterBody = paths["/v1/customers"]["post"]["requestBody"]["content"]["application/json"];
type Me = paths["/v1/customers/me"]["get"]["responses"][200]["content"]["application/json"];
type SignInBody = paths["/v1/sessions"]["post"]["requestBody"]["content"]["application/json"];
type CartLine = paths["/v1/cart/items/{sku}"]["put"]["requestBody"]["content"]["application/json"];

export async function register(api: string, body: RegisterBody): Promise<number> {
  const r = await fetch(`${api}/v1/customers`, {
    method: "POST", credentials: "include",
    headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return r.status;
}

export async function me(api: string): Promise<Me | Problem> {
  const r = await fetch(`${api}/v1/customers/me`, { credentials: "include" });
  return (await r.json()) as Me | Problem;
}

export const example: { register: RegisterBody; signIn: SignInBody; line: CartLine } = {
  register: { email: "ada@example.com", password: "correct horse", firstName: "Ada", lastName: "Lovelace", consents: { terms: true } },
  signIn: { login: "ada@example.com", password: "correct horse" },
  line: { quantity: 2 },
};

export function problemCode(p: Problem): string {
  return p.code;
}
