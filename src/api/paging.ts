export const pagingQuery = (max: number) =>
  ({
    pageNum: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: max, default: 20 },
  }) as const;

export function pageOf(q: { pageNum?: number; pageSize?: number }): { offset: number; limit: number } {
  const size = q.pageSize ?? 20;
  return { offset: ((q.pageNum ?? 1) - 1) * size, limit: size };
}
