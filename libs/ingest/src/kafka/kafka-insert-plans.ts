import { Injectable } from '@nestjs/common';
import { chTime, ClickHouseService } from '@tallyhouse/clickhouse';

/** An offset range of one partition, both ends included. */
export interface OffsetRange {
  first: number;
  last: number;
}

export interface PartitionRef {
  group: string;
  topic: string;
  partition: number;
}

/**
 * The consumer's memory of the range it was about to insert for a partition
 * (table kafka_insert_plans). It is written before the insert and read before
 * the next one: after a crash, the redelivered messages are cut into the same
 * range again, so the retry carries the same deduplication token.
 */
@Injectable()
export class KafkaInsertPlans {
  constructor(private readonly ch: ClickHouseService) {}

  async latest(ref: PartitionRef): Promise<OffsetRange | null> {
    const rows = await this.ch.query<{ first: number | string; last: number | string }>(
      `SELECT first_offset AS first, last_offset AS last FROM kafka_insert_plans
       WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}
       ORDER BY planned_at DESC, last_offset DESC LIMIT 1`,
      { tag: 'kafka:plan-read', params: { ...ref }, idempotent: true },
    );
    return rows.length === 0 ? null : { first: Number(rows[0].first), last: Number(rows[0].last) };
  }

  async record(ref: PartitionRef, range: OffsetRange): Promise<void> {
    await this.ch.insertRows(
      'kafka_insert_plans',
      [
        {
          consumer_group: ref.group,
          topic: ref.topic,
          partition: ref.partition,
          first_offset: range.first,
          last_offset: range.last,
          planned_at: chTime(new Date()),
        },
      ],
      { tag: 'kafka:plan-write', settings: { insert_deduplicate: 0 } },
    );
  }
}
