import type { NextFunction, Request, Response } from 'express';

/**
 * Express middleware: every JSON response ends with a newline, so a response printed by `curl`
 * does not run into the shell prompt that follows it.
 */
export function jsonEndsWithNewline(_req: Request, res: Response, next: NextFunction): void {
  res.json = (body: unknown) => {
    if (!res.get('Content-Type')) res.type('application/json');
    return res.send(`${JSON.stringify(body)}\n`);
  };
  next();
}
