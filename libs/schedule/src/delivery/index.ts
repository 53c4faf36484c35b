export type {
  DeliveryContext,
  DeliveryFile,
  DeliveryResult,
  DeliveryTarget,
  EmailTarget,
  FolderTarget,
  WebhookTarget,
} from './delivery.types';
export { DELIVERY_DEFAULTS, type DeliveryOptions } from './delivery-options';
export { DeliveryService } from './delivery.service';
export { describeTarget, validateTarget, MAX_EMAIL_RECIPIENTS } from './delivery-targets';
export { EmailDelivery, SMTP_NOT_CONFIGURED } from './email-delivery';
export { FolderDelivery } from './folder-delivery';
export {
  WebhookDelivery,
  signWebhookBody,
  verifyWebhookSignature,
  type WebhookLinkBody,
  type WebhookVerifyOptions,
} from './webhook-delivery';
