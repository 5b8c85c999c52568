import { readdirSync, readFileSync } from 'node:fs';

/** The sandbox processes this test process started that have not exited, with their RSS in bytes. */
export function sandboxProcesses(): { pid: number; residentBytes: number }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        // Field 4 of stat is the parent; the command name (field 2) may hold spaces, so after ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(ppid) !== process.pid || state === 'Z') return [];
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sandbox-process-main'))
          return [];
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return [{ pid: Number(pid), residentBytes: Number(kb ?? 0) * 1024 }];
      } catch {
        return []; // exited meanwhile
      }
    });
}
