// GET /api/items and GET /api/items/:id: the catalogue, read-mostly traffic.
import type Router from '@koa/router';
import { z } from 'zod';
import { CATEGORIES, ITEMS, findItem } from '../catalogue/items.ts';
import { HttpError } from '../http/errors.ts';
import { parseWith } from '../http/validate.ts';
import { SimulatedFailure } from '../simulation/failure.ts';
import type { RouteDeps } from './deps.ts';

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(10_000).default(0),
    category: z.enum(CATEGORIES).optional(),
  })
  .strict();

const itemId = z
  .string()
  .regex(/^[1-9]\d{0,8}$/, 'must be a positive whole number')
  .transform(Number);

export function itemRoutes(router: Router, { simulator }: RouteDeps): void {
  router.get('list_items', '/api/items', async (ctx) => {
    const query = parseWith(listQuery, ctx.query, 'query');
    if (await simulator.run('list_items')) throw new SimulatedFailure('list_items');
    const matching = query.category ? ITEMS.filter((item) => item.category === query.category) : ITEMS;
    ctx.body = { items: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
  });

  router.get('get_item', '/api/items/:id', async (ctx) => {
    const id = parseWith(itemId, ctx.params.id, 'item id');
    if (await simulator.run('get_item')) throw new SimulatedFailure('get_item');
    const item = findItem(id);
    if (!item) throw new HttpError(404, `item ${id} not found`);
    ctx.body = item;
  });
}
