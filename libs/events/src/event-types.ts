/**
 * The closed list of event types. Adding one here is the whole change: the
 * rollups key on the type string and need no code for a new one.
 */
export const EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.viewed',
  'message.clicked',
  'message.bounced',
  'message.unsubscribed',
  'goal.reached',
  'user.registered',
  'user.login',
  'group.subscribed',
  'group.unsubscribed',
  'notice.published',
  'conversation.started',
  'conversation.message_in',
  'conversation.message_out',
  'conversation.resolved',
  'purchase',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Types that are about an organisation's action, not a person: contact_id is optional. */
export const CONTACTLESS_TYPES: readonly EventType[] = ['notice.published'];

export const CHANNELS = ['email', 'sms', 'push', 'voice', 'chat', 'social', 'web'] as const;
export type Channel = (typeof CHANNELS)[number];
