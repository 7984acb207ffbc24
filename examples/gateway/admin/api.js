// The gateway API as the admin UI uses it. The API key lives in sessionStorage: it is gone when
// the tab closes, it is never sent as a cookie (so no other site can make the browser use it),
// and the page's content security policy keeps foreign scripts from reading it.

const storageKey = "bga.apiKey"

export const getKey = () => sessionStorage.getItem(storageKey)
export const setKey = (key) => sessionStorage.setItem(storageKey, key.trim())
export const clearKey = () => sessionStorage.removeItem(storageKey)

/** A failed call: the gateway's error body (`code`, `message`, `problems`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.code ?? "http_error"
    this.problems = body?.problems ?? []
  }
}

/** Calls a gateway method with the stored key. */
export const call = async (method, input = {}) => {
  const key = getKey()
  const response = await fetch(`/api/v1/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(input),
    cache: "no-store",
    credentials: "omit"
  })
  let body
  try {
    body = await response.json()
  } catch {
    throw new ApiError(response.status, {
      code: "bad_response",
      message: "the gateway did not answer with JSON"
    })
  }
  if (!response.ok) throw new ApiError(response.status, body.error)
  return body
}
