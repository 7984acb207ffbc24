import { Result } from "effect"
import { type LaneLimits, QueueFullError } from "./LaneLimits.js"

/** A queued or running item and the customer instance whose lane holds it. */
export interface Ticket<T> {
  /** Unique within one scheduler; increases in enqueue order. */
  readonly id: number
  readonly customerInstanceId: string
  readonly item: T
}

/** Counts of one lane. */
export interface LaneCounts {
  readonly running: number
  readonly queued: number
}

/** Counts of the whole scheduler. */
export interface SchedulerStats extends LaneCounts {
  /** Customer instances with a queued or running item. */
  readonly activeInstances: number
}

/**
 * Per-customer-instance lanes with global and per-instance concurrency limits, queue caps and
 * weighted round-robin between instances. A plain synchronous data structure (hot path): the
 * caller decides when to `dispatch` (usually right after `enqueue` and `release`).
 *
 * Fairness: instances that have an item ready take turns in a ring; an instance gets `weight`
 * dispatches per turn (default 1). An instance that becomes ready joins at the end of the
 * current round. So while an instance has a ready item it waits for at most the sum of the
 * other instances' weights (N - 1 dispatches with N instances of weight 1), however many items
 * the others have queued. Within one instance, items run in enqueue order.
 */
export interface LaneScheduler<T> {
  /** Queues an item in its instance's lane; refused (nothing queued) when a queue is full. */
  readonly enqueue: (customerInstanceId: string, item: T) => Result.Result<Ticket<T>, QueueFullError>
  /** The next item to run, now counted as running; `undefined` when none may start now. */
  readonly dispatch: () => Ticket<T> | undefined
  /** Marks a running item finished and frees its slots. False when it was not running. */
  readonly release: (ticket: Ticket<T>) => boolean
  /** Removes a queued item (e.g. its run was cancelled). False when it was not queued. */
  readonly cancel: (ticket: Ticket<T>) => boolean
  readonly stats: () => SchedulerStats
  readonly lane: (customerInstanceId: string) => LaneCounts
}

interface Lane<T> {
  readonly id: string
  readonly queue: Map<number, Ticket<T>>
  readonly concurrency: number
  readonly queueLimit: number
  readonly weight: number
  running: number
  /** Dispatches left in the lane's current turn. */
  credit: number
  // Ring of ready lanes (doubly linked, circular); `inRing` says whether the lane is in it.
  prev: Lane<T> | undefined
  next: Lane<T> | undefined
  inRing: boolean
}

/** Makes a lane scheduler. Limits are taken as given (decode them with `LaneLimits` first). */
export const make = <T>(limits: LaneLimits): LaneScheduler<T> => {
  const lanes = new Map<string, Lane<T>>()
  const running = new Set<number>()
  let cursor: Lane<T> | undefined
  let queued = 0
  let nextId = 1

  const laneOf = (id: string): Lane<T> => {
    const existing = lanes.get(id)
    if (existing !== undefined) return existing
    const own =
      limits.instances !== undefined && Object.hasOwn(limits.instances, id) ? limits.instances[id] : undefined
    const lane: Lane<T> = {
      id,
      queue: new Map(),
      concurrency: own?.concurrency ?? limits.instanceConcurrency,
      queueLimit: own?.queueLimit ?? limits.instanceQueueLimit,
      weight: own?.weight ?? 1,
      running: 0,
      credit: 0,
      prev: undefined,
      next: undefined,
      inRing: false
    }
    lanes.set(id, lane)
    return lane
  }

  const isReady = (lane: Lane<T>) => lane.queue.size > 0 && lane.running < lane.concurrency

  // Joining lanes go just before the cursor: the end of the current round.
  const link = (lane: Lane<T>) => {
    if (cursor === undefined) {
      lane.prev = lane
      lane.next = lane
      cursor = lane
    } else {
      const tail = cursor.prev as Lane<T>
      lane.prev = tail
      lane.next = cursor
      tail.next = lane
      cursor.prev = lane
    }
    lane.inRing = true
  }

  const unlink = (lane: Lane<T>) => {
    if (lane.next === lane) cursor = undefined
    else {
      const prev = lane.prev as Lane<T>
      const next = lane.next as Lane<T>
      prev.next = next
      next.prev = prev
      if (cursor === lane) cursor = next
    }
    lane.prev = undefined
    lane.next = undefined
    lane.inRing = false
    lane.credit = 0
  }

  const update = (lane: Lane<T>) => {
    const ready = isReady(lane)
    if (ready && !lane.inRing) link(lane)
    else if (!ready && lane.inRing) unlink(lane)
    if (lane.queue.size === 0 && lane.running === 0) lanes.delete(lane.id)
  }

  return {
    enqueue: (customerInstanceId, item) => {
      const lane = laneOf(customerInstanceId)
      if (lane.queue.size >= lane.queueLimit) {
        update(lane)
        return Result.fail(
          new QueueFullError({ reason: "instance-queue-full", customerInstanceId, limit: lane.queueLimit })
        )
      }
      if (queued >= limits.globalQueueLimit) {
        update(lane)
        return Result.fail(
          new QueueFullError({
            reason: "global-queue-full",
            customerInstanceId,
            limit: limits.globalQueueLimit
          })
        )
      }
      const ticket: Ticket<T> = { id: nextId++, customerInstanceId, item }
      lane.queue.set(ticket.id, ticket)
      queued++
      update(lane)
      return Result.succeed(ticket)
    },

    dispatch: () => {
      if (cursor === undefined || running.size >= limits.globalConcurrency) return undefined
      const lane = cursor
      if (lane.credit <= 0) lane.credit = lane.weight
      const ticket = lane.queue.values().next().value as Ticket<T>
      lane.queue.delete(ticket.id)
      queued--
      lane.running++
      lane.credit--
      running.add(ticket.id)
      if (!isReady(lane)) unlink(lane)
      else if (lane.credit <= 0 && cursor === lane) cursor = lane.next
      return ticket
    },

    release: (ticket) => {
      if (!running.delete(ticket.id)) return false
      const lane = lanes.get(ticket.customerInstanceId) as Lane<T>
      lane.running--
      update(lane)
      return true
    },

    cancel: (ticket) => {
      const lane = lanes.get(ticket.customerInstanceId)
      if (lane === undefined || !lane.queue.delete(ticket.id)) return false
      queued--
      update(lane)
      return true
    },

    stats: () => ({ running: running.size, queued, activeInstances: lanes.size }),

    lane: (customerInstanceId) => {
      const lane = lanes.get(customerInstanceId)
      return { running: lane?.running ?? 0, queued: lane?.queue.size ?? 0 }
    }
  }
}
