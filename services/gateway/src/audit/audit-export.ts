import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequestSubjects } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import type { AuditExportQuery } from './audit-filters.js';

/** Events per request to the audit service while exporting: what bounds the gateway's memory. */
const EXPORT_PAGE = 500;

/** Streams the audit log as NDJSON (one event per line), a page at a time. */
@Injectable()
export class AuditExport {
  private readonly log = new Logger(AuditExport.name);

  constructor(private readonly bus: BusClient) {}

  /**
   * Writes every event matching `filters` to `reply` as `application/x-ndjson`, the pages asked
   * for in `context` (the request's), waiting for the client to drain each page before asking for
   * the next. The first page is fetched before anything is written, so bad filters still get a
   * coded error; a failure later ends the stream early (no error line), which the client sees as
   * a cut connection. So does a key no longer valid: `stillValid` is asked before each page after
   * the first (an export lasts as long as its client reads, and the key may be revoked meanwhile).
   */
  async stream(
    filters: AuditExportQuery,
    reply: FastifyReply,
    context: MessageContext,
    stillValid: () => Promise<boolean>,
  ): Promise<void> {
    const pageAfter = (cursor: string | undefined) =>
      this.bus.request(
        RequestSubjects.AuditQuery,
        {
          ...filters,
          ...(cursor === undefined ? {} : { cursor, after_seq: undefined }),
          limit: EXPORT_PAGE,
        },
        { context },
      );
    let page = await pageAfter(filters.cursor);
    // Written to the Node response as it goes, page by page: Fastify sends nothing of its own.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    try {
      for (;;) {
        const lines = page.events.map((e) => `${JSON.stringify(e)}\n`).join('');
        // A client that goes away never drains: its close ends the wait too.
        if (lines && !res.write(lines)) await drainedOrClosed(res);
        if (page.next_cursor === null || res.destroyed) break;
        if (!(await stillValid())) {
          this.log.warn('audit export cut: its API key was revoked, or its secret expired');
          res.destroy();
          return;
        }
        page = await pageAfter(page.next_cursor);
      }
      res.end();
    } catch (error) {
      this.log.error(`audit export cut short: ${String(error)}`);
      res.destroy();
    }
  }
}

/**
 * Resolves when `res` drains or closes, leaving no listener behind: racing two `once` promises
 * left the loser's listener on the response, one per page of a long export (MaxListeners
 * warnings past ten).
 */
function drainedOrClosed(res: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
