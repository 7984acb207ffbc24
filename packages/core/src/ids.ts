import { v7 as uuidv7, validate, version } from "uuid"

/**
 * Mints a new identifier. Every BGA id (runs, events, decisions, invocations, approvals) is a
 * UUIDv7: time-ordered, so ids sort by creation time and index well in B-trees.
 */
export const newId = (): string => uuidv7()

/** True when `value` is a UUIDv7 in canonical lowercase form. */
export const isId = (value: string): boolean =>
  value.length === 36 && value === value.toLowerCase() && validate(value) && version(value) === 7

/** A W3C trace-context trace id (32 lowercase hex characters, not all zero). */
export const newTraceId = (): string => uuidv7().replaceAll("-", "")
