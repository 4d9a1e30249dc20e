// Gateways (spec 一.2, 15, 16, 17). Money: `price` is yuan on add and fen on update (as the spec says); both are
// stored in fen. getList returns price in fen (what update takes) and accountBalance/rechargedAmount in yuan (what
// add takes). A gateway's concurrency is its expectCount (the number of lines the carrier provides).
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { RegisterType } from '../../core/codes.js';
import { conflict, invalid, notFound } from '../../core/errors.js';
import type { Gateway, GatewayFields } from '../../db/repos/gateways.js';
import { ok } from '../envelope.js';
import type { ApiContext } from '../context.js';
import { pageOf, pagingQuery } from '../paging.js';

const CODECS = [
  'G711',
  'G722',
  'G726',
  'G723.1',
  'G729',
  'GSM',
  'iLBC',
  'iSAC',
  'CODEC2',
  'Speex',
  'SILK',
  'GELT',
  'OPUS',
];

const yuanToFen = (yuan: number): number => Math.round(yuan * 10_000) / 100;
const fenToYuan = (fen: number): number => Math.round(fen * 100) / 10_000;
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/**
 * Free text that reaches FreeSWITCH's XML: no control characters (invalid XML) and no `${` (FreeSWITCH's variable
 * syntax, expanded by its pre-processor as `$${...}`). Output is escaped as well (escapeLiteral).
 */
const TEXT = '^(?![\\s\\S]*\\$\\{)[^\\u0000-\\u001f\\u007f]*$';
const str = (max: number) => ({ type: 'string', maxLength: max, pattern: TEXT }) as const;
const zeroOne = { type: 'integer', enum: [0, 1] } as const;
const ROW_ID = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
const common = {
  gwName: { ...str(64), minLength: 1 },
  registerType: { type: 'integer', enum: [1, 2] },
  originationCallId: { type: 'string', maxLength: 32, pattern: '^\\+?[0-9]*$' },
  codec: str(128),
  mobilePhonePrefix: { type: 'string', maxLength: 16, pattern: '^[0-9*#+]*$' },
  fixedPhonePrefix: { type: 'string', maxLength: 16, pattern: '^[0-9*#+]*$' },
  realm: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.\\-]+(:[0-9]{1,5})?$' },
  username: str(64),
  password: str(128),
  remark: str(500),
  callLimit: { type: 'integer', minimum: 0, maximum: 100_000 },
  billType: { type: 'integer', enum: [1, 2] },
  billsec: { type: 'integer', minimum: 1, maximum: 86_400 },
  price: { type: 'number', minimum: 0, maximum: 1_000_000 },
  status: zeroOne,
  expectCount: { type: 'integer', minimum: 0, maximum: 100_000 },
  returnVisit: zeroOne,
  accountBalance: { type: 'number', minimum: -1_000_000_000, maximum: 1_000_000_000 },
  rechargedAmount: { type: 'number', minimum: 0, maximum: 1_000_000_000 },
  gwCode: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.\\-]+$' },
} as const;

interface GatewayBody {
  gwName: string;
  registerType: number;
  originationCallId?: string;
  codec?: string;
  mobilePhonePrefix?: string;
  fixedPhonePrefix?: string;
  realm: string;
  username?: string;
  password?: string;
  remark?: string;
  callLimit?: number;
  billType?: number;
  billsec?: number;
  price?: number;
  status: number;
  expectCount?: number;
  returnVisit: number;
  accountBalance?: number;
  rechargedAmount?: number;
  gwCode?: string;
}

function checkCodec(codec: string | undefined): string | undefined {
  if (codec === undefined) return undefined;
  const parts = codec.split(',').map((c) => c.trim());
  for (const c of parts) {
    const known = CODECS.find((k) => k.toLowerCase() === c.toLowerCase());
    if (!known)
      throw invalid(`codec must be one or more of ${CODECS.join(', ')} (comma-separated), got "${c}"`);
  }
  return parts.map((c) => CODECS.find((k) => k.toLowerCase() === c.toLowerCase())).join(',');
}

function checkBilling(b: GatewayBody): void {
  if (b.billType === 2 && b.billsec === undefined)
    throw invalid('billsec is required when billType is 2 (per seconds)');
  if (b.billType !== undefined && b.price === undefined)
    throw invalid('price is required when billType is set');
  if (b.registerType === RegisterType.active && !b.username !== !b.password)
    throw invalid('username and password go together for a gateway we register to (registerType 1)');
}

function fieldsOf(b: GatewayBody, priceUnit: 'yuan' | 'fen'): Omit<GatewayFields, 'gwCode'> {
  return {
    gwName: b.gwName,
    registerType: b.registerType,
    originationCallId: opt(b.originationCallId),
    codec: opt(checkCodec(b.codec)),
    mobilePhonePrefix: opt(b.mobilePhonePrefix),
    fixedPhonePrefix: opt(b.fixedPhonePrefix),
    realm: b.realm,
    username: opt(b.username),
    password: opt(b.password),
    remark: opt(b.remark),
    callLimit: opt(b.callLimit),
    billType: opt(b.billType),
    billsec: opt(b.billsec),
    priceFen: b.price === undefined ? null : priceUnit === 'yuan' ? yuanToFen(b.price) : b.price,
    status: b.status,
    expectCount: opt(b.expectCount),
    returnVisit: b.returnVisit,
    accountBalanceFen: b.accountBalance === undefined ? null : yuanToFen(b.accountBalance),
    rechargedAmountFen: b.rechargedAmount === undefined ? null : yuanToFen(b.rechargedAmount),
  };
}

/**
 * A gateway as getList shows it. The carrier credentials are write-only (issue #17): whoever reads the list (any
 * signed account, a log of the answer) must not learn them; `hasCredentials` tells whether they are set, and an
 * update that leaves them out keeps them.
 */
function gatewayView(g: Gateway) {
  return {
    id: g.id,
    gwCode: g.gwCode,
    gwName: g.gwName,
    registerType: g.registerType,
    originationCallId: g.originationCallId,
    codec: g.codec,
    mobilePhonePrefix: g.mobilePhonePrefix,
    fixedPhonePrefix: g.fixedPhonePrefix,
    realm: g.realm,
    hasCredentials: Boolean(g.username || g.password),
    remark: g.remark,
    callLimit: g.callLimit,
    billType: g.billType,
    billsec: g.billsec,
    price: g.priceFen,
    status: g.status,
    expectCount: g.expectCount,
    returnVisit: g.returnVisit,
    accountBalance: g.accountBalanceFen === null ? null : fenToYuan(g.accountBalanceFen),
    rechargedAmount: g.rechargedAmountFen === null ? null : fenToYuan(g.rechargedAmountFen),
    addTime: g.createdAt,
    updateTime: g.updatedAt,
  };
}

export const gatewayRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { gateways } = ctx.repos;
  const newCode = async (): Promise<string> => {
    for (;;) {
      const code = `GW${randomBytes(4).toString('hex').toUpperCase()}`;
      if (!(await gateways.byCode(code))) return code;
    }
  };

  app.post<{ Body: GatewayBody }>(
    '/freeswitch/gateway/api/add/v1',
    {
      schema: {
        summary: 'Add a gateway (price, accountBalance, rechargedAmount in yuan)',
        tags: ['gateway'],
        body: {
          type: 'object',
          required: ['gwName', 'registerType', 'realm', 'status', 'returnVisit'],
          properties: common,
        },
      },
    },
    async (req) => {
      const b = req.body;
      checkBilling(b);
      if (b.gwCode !== undefined && (await gateways.byCode(b.gwCode)))
        throw conflict(`gwCode ${b.gwCode} already exists`);
      const row = await gateways.insert(
        { ...fieldsOf(b, 'yuan'), gwCode: b.gwCode ?? (await newCode()) },
        ctx.clock.now(),
      );
      ctx.events.gatewaysChanged(row.gwCode);
      return ok({ id: row.id, gwCode: row.gwCode });
    },
  );

  app.post<{ Body: GatewayBody & { id: number; gwCode: string } }>(
    '/freeswitch/gateway/api/update/v1',
    {
      schema: {
        summary: 'Edit a gateway (price in fen; accountBalance, rechargedAmount in yuan)',
        tags: ['gateway'],
        body: {
          type: 'object',
          required: ['id', 'gwCode', 'gwName', 'registerType', 'realm', 'status', 'returnVisit'],
          properties: { id: ROW_ID, ...common },
        },
      },
    },
    async (req) => {
      const b = req.body;
      const existing = await gateways.get(b.id);
      if (!existing) throw notFound(`gateway id ${b.id} does not exist`);
      if (b.gwCode !== existing.gwCode && (await gateways.byCode(b.gwCode)))
        throw conflict(`gwCode ${b.gwCode} already belongs to another gateway`);
      checkBilling(b);
      // Optional fields left out keep their stored value: an edit never silently erases data.
      const fields = fieldsOf(b, 'fen');
      const patch = Object.fromEntries(
        Object.entries(fields).filter(([k, v]) => v !== null || k === 'status'),
      ) as Partial<GatewayFields>;
      const row = await gateways.update(b.id, { ...patch, gwCode: b.gwCode }, ctx.clock.now());
      if (existing.gwCode !== b.gwCode) ctx.events.gatewaysChanged(existing.gwCode);
      ctx.events.gatewaysChanged(b.gwCode);
      return ok(row ? { id: row.id, gwCode: row.gwCode } : undefined);
    },
  );

  app.get<{ Querystring: { pageNum?: number; pageSize?: number; status?: number; id?: number } }>(
    '/freeswitch/gateway/api/getList/v1',
    {
      schema: {
        summary:
          'List gateways with every stored field but the carrier credentials, which are write-only (paged)',
        tags: ['gateway'],
        querystring: {
          type: 'object',
          properties: {
            ...pagingQuery(ctx.config.pageSizeMax),
            status: zeroOne,
            id: ROW_ID,
          },
        },
      },
    },
    async (req) => {
      const { offset, limit } = pageOf(req.query);
      const { total, items } = await gateways.page(
        { status: req.query.status, id: req.query.id },
        offset,
        limit,
      );
      return ok({ total, items: items.map(gatewayView) });
    },
  );

  app.get(
    '/freeswitch/gateway/api/getAvailableList/v1',
    {
      schema: { summary: 'Enabled gateways with live concurrency, for choosing callGWs', tags: ['gateway'] },
    },
    async () =>
      ok(
        (await gateways.enabled()).map((g) => {
          const concurrency = g.expectCount ?? 0;
          const usedConcurrency = ctx.gatewayUsage.inUse(g.id);
          return {
            gwCode: g.gwCode,
            gwName: g.gwName,
            concurrency,
            usedConcurrency,
            availableConcurrency: Math.max(0, concurrency - usedConcurrency),
            remark: g.remark,
          };
        }),
      ),
  );
};
