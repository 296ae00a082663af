// The lazily loaded chunk: prom-client and what it bundles (about 100 KB).
export * from 'prom-client';
