// Child process of the crash-recovery test: two consumer groups run while numbered events are
// published; the slow group lags behind. Prints `P <seq>` once a publish is acknowledged and
// `<group> <seq>` once a handler finished, until it is killed.
import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { SqliteEventBus } from '../sqlite-event-bus.adapter';

const [file, topicName] = process.argv.slice(2);
if (!file || !topicName) throw new Error('usage: publish-and-consume-until-killed.fixture.ts <file> <topic>');

const schema = z.object({ seq: z.number(), key: z.string() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(file: string, topic: TopicDefinition<z.infer<typeof schema>>): Promise<void> {
  const bus = new SqliteEventBus({ file, partitions: 3 });
  await bus.start([topic]);
  await bus.subscribe(topic, async ({ value }) => void process.stdout.write(`fast ${value.seq}\n`), { group: 'fast' });
  await bus.subscribe(
    topic,
    async ({ value }) => {
      await sleep(20);
      process.stdout.write(`slow ${value.seq}\n`);
    },
    { group: 'slow' },
  );
  for (let seq = 0; ; seq++) {
    await bus.publish(topic, { seq, key: `study-${seq % 7}` });
    process.stdout.write(`P ${seq}\n`);
  }
}

main(file, { name: topicName, schema, key: (event) => event.key }).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
