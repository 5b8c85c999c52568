import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, EventSubjects, type ReplyMap, type RequestMap } from '@convergio/contracts';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { Plugin } from './plugin.entity.js';

/** Who owns a plugin id, and the admin's transfer of it to another publisher. */
@Injectable()
export class OwnershipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
  ) {}

  /** Gives the id to `publisher`; announced as plugin.owner_changed unless it already owns it. */
  async transfer(
    req: RequestMap['registry.plugins.transfer'],
    context: MessageContext,
  ): Promise<ReplyMap['registry.plugins.transfer']> {
    return this.dataSource.transaction(async (manager) => {
      const plugin = await manager.findOne(Plugin, {
        where: { pluginId: req.plugin_id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!plugin) throw new DomainError('not_found', `plugin ${req.plugin_id} is unknown`);
      const previous = plugin.owner;
      if (previous !== req.publisher) {
        await manager.update(Plugin, { pluginId: plugin.pluginId }, { owner: req.publisher });
        await this.outbox.add(
          manager,
          EventSubjects.PluginOwnerChanged,
          {
            plugin_id: plugin.pluginId,
            from: previous,
            to: req.publisher,
            changed_by: req.changed_by,
            actor: req.changed_by,
          },
          context,
        );
      }
      return { plugin_id: plugin.pluginId, owner: req.publisher, previous_owner: previous };
    });
  }
}
