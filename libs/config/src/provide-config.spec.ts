import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError } from './config-error.js';
import { provideConfig } from './provide-config.js';

const GreeterConfigSchema = Type.Object({
  GREETING: Type.String({ default: 'hello' }),
  TIMES: Type.Integer(),
});
const GREETER_CONFIG = Symbol('GreeterConfig');

@Injectable()
class Greeter {
  constructor(@Inject(GREETER_CONFIG) readonly config: Static<typeof GreeterConfigSchema>) {}
}

function moduleWith(env: NodeJS.ProcessEnv) {
  @Module({ providers: [provideConfig(GREETER_CONFIG, GreeterConfigSchema, env), Greeter] })
  class GreeterModule {}
  return GreeterModule;
}

describe('provideConfig', () => {
  it('injects the typed, validated config into a service', async () => {
    const app = await NestFactory.createApplicationContext(moduleWith({ TIMES: '3' }), {
      logger: false,
    });

    expect(app.get(Greeter).config).toEqual({ GREETING: 'hello', TIMES: 3 });
    await app.close();
  });

  it('fails the boot with a ConfigError when the environment is invalid', async () => {
    await expect(
      NestFactory.createApplicationContext(moduleWith({ TIMES: 'many' }), {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow(ConfigError);
  });
});
