export { EVENT_TYPES, CHANNELS, CONTACTLESS_TYPES, type EventType, type Channel } from './event-types';
export { EVENT_JSON_SCHEMA } from './event.schema';
export {
  EventContract,
  EARLIEST_EVENT_MS,
  type ValidEvent,
  type EventError,
  type ValidationResult,
  type ContractOptions,
} from './event-contract';
