import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto('210987654321');
});
afterAll(async () => {
  await moto.stop();
});

test('the moto fixture answers STS for the configured account and the factory counts the call', async () => {
  const factory = new AwsClientFactory();
  const id = await factory.sts('us-east-2').send(new GetCallerIdentityCommand({}));
  expect(id.Account).toBe('210987654321');
  expect(factory.calls.get('STS.GetCallerIdentity')).toBe(1);
});
