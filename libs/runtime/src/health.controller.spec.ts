import type { FastifyReply } from 'fastify';
import type { DataSource } from 'typeorm';
import type { BusClient } from '@convergio/messaging';
import { HealthController } from './health.controller.js';

function controller(busReady: boolean, query: () => Promise<unknown>) {
  const bus = { isReady: () => busReady } as unknown as BusClient;
  const dataSource = { isInitialized: true, query } as unknown as DataSource;
  return new HealthController(bus, dataSource);
}

function response() {
  const res = { statusCode: 0, status: (code: number) => ((res.statusCode = code), res) };
  return res;
}

describe('HealthController', () => {
  it('is alive without asking anything', () => {
    expect(controller(false, () => Promise.reject(new Error('down'))).health()).toEqual({
      status: 'ok',
    });
  });

  it('is ready when the bus and the database answer', async () => {
    const res = response();
    const body = await controller(true, () => Promise.resolve([{ '?column?': 1 }])).ready(
      res as unknown as FastifyReply,
    );
    expect(res.statusCode).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { bus: true, database: true } });
  });

  it.each([
    ['the bus is disconnected', false, () => Promise.resolve([])],
    ['the database fails', true, () => Promise.reject(new Error('connection refused'))],
  ])('answers 503 when %s', async (_what, bus, query) => {
    const res = response();
    const body = await controller(bus, query).ready(res as unknown as FastifyReply);
    expect(res.statusCode).toBe(503);
    expect(body.status).toBe('not_ready');
  });
});
