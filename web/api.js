// Every request a page's scripts make to the API goes through here: from a signed-in page the
// session's CSRF token goes with each one, and a refusal comes back as an Error carrying the
// server's message. Pages load this module with their own version query
// (`import(`./api.js${new URL(import.meta.url).search}`)`), so it is cached exactly as long as
// they are.
export const csrf = document.querySelector('meta[name=csrf-token]')?.content;

// `headers`, with the session's CSRF token when the page has one (signed in on this site).
export function signed(headers = {}) {
  return csrf ? { ...headers, 'X-CSRF-Token': csrf } : headers;
}

// `fetch`, signed.
export function request(url, options = {}) {
  return fetch(url, { ...options, headers: signed(options.headers) });
}

// A JSON request (`body` sent as JSON when given); the answer's JSON, or an Error saying why not.
export async function send(method, url, body) {
  const response = await request(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new Error(answer?.error?.message || `failed (${response.status})`);
  return answer;
}
