// Child process of the SIGKILL durability test: publishes numbered events one after the other and
// prints the number of each one as soon as its publish resolved (acknowledged), until it is killed.
import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { SqliteEventBus } from '../sqlite-event-bus.adapter';

const [file, topicName] = process.argv.slice(2);
if (!file || !topicName) throw new Error('usage: publish-until-killed.fixture.ts <file> <topic>');

const schema = z.object({ seq: z.number(), key: z.string() });

async function main(file: string, topic: TopicDefinition<z.infer<typeof schema>>): Promise<void> {
  const bus = new SqliteEventBus({ file, partitions: 3 });
  await bus.start([topic]);
  for (let seq = 0; ; seq++) {
    await bus.publish(topic, { seq, key: `key-${seq % 3}` });
    process.stdout.write(`${seq}\n`);
  }
}

main(file, { name: topicName, schema, key: (event) => event.key }).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
