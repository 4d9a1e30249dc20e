// A gateway row for tests: every field the schema needs, overridable. Billing is 10 fen per started 6 s.
import type { Gateway, GatewayFields, GatewaysRepo } from '../../src/db/repos/gateways.js';

export function gatewayFields(overrides: Partial<GatewayFields> & { gwCode: string }): GatewayFields {
  return {
    gwName: overrides.gwCode,
    registerType: 1,
    realm: '127.0.0.1:15094',
    status: 1,
    returnVisit: 0,
    expectCount: 10,
    originationCallId: null,
    codec: null,
    mobilePhonePrefix: null,
    fixedPhonePrefix: null,
    username: null,
    password: null,
    remark: null,
    callLimit: null,
    billType: 2,
    billsec: 6,
    priceFen: 10,
    accountBalanceFen: null,
    rechargedAmountFen: null,
    ...overrides,
  };
}

export const insertGateway = (
  gateways: GatewaysRepo,
  overrides: Partial<GatewayFields> & { gwCode: string },
  now: number,
): Promise<Gateway> => gateways.insert(gatewayFields(overrides), now);
