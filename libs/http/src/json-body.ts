import { BadRequestException } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';

/**
 * A JSON body (the HTTP app reads bodies as text) validated into `type`; 400
 * naming the first bad field. `what` names the request in the message for an
 * unknown field ("… is not a field of a schedule").
 */
export async function parseJsonBody<T extends object>(
  type: ClassConstructor<T>,
  body: unknown,
  what = 'this request',
): Promise<T> {
  if (typeof body === 'string') {
    try {
      body = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      throw new BadRequestException({ statusCode: 400, field: 'body', message: 'the body must be a JSON object' });
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException({ statusCode: 400, field: 'body', message: 'the body must be a JSON object' });
  }
  const dto = plainToInstance(type, body, { exposeDefaultValues: true });
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const e = errors[0];
    const message = Object.values(e.constraints ?? {})[0] ?? `${e.property} is not allowed`;
    throw new BadRequestException({
      statusCode: 400,
      field: e.property,
      message: message.replace(/^property (\w+) should not exist$/, `$1 is not a field of ${what}`),
    });
  }
  return dto;
}
