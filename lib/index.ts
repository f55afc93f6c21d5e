/**
 * Keygate as a construct library: what another CDK app imports to run Keygate, or to put
 * Keygate's key check in front of a REST API of its own.
 *
 * Packaging decision: the package ships its TypeScript sources and no build output
 * (`package.json` `exports` → `./lib/index.ts`), like the rest of this repository, which runs
 * through tsx (`cdk.json` `app`, `npm start`, the CLI). A consuming app must load TypeScript
 * from its dependencies the same way: `tsx` or `ts-node` for its CDK app, with `esbuild` installed
 * for the Lambda bundles. Node's own type stripping does not load `.ts` files from
 * node_modules, and a `tsc`-compiled app cannot import this entry until a JavaScript build is
 * published. Only this entry is exported: files behind it may move.
 */
export { AuditExport, type AuditExportProps } from './audit-export';
export { KeygateAuthorizer, type KeygateAuthorizerProps, type ProtectOptions } from './keygate-authorizer';
export { KeygateStack, type KeygateStackProps, stackNameFromContext } from './keygate-stack';
export { type IKeyStore, KeyStore, type KeyStoreAttributes, type KeyStoreProps } from './key-store';
export { ExpiryNotifications, type ExpiryNotificationsProps } from './expiry-notifications';
export { KeyAuthorizer, type KeyAuthorizerProps } from './key-authorizer';
export { ManagementApi, type ManagementApiProps } from './management-api';
export { Notifications, type NotificationsProps } from './notifications';
export { OperatorRoutes, type OperatorRoutesProps } from './operator-routes';
export { UsageAnomalies, type UsageAnomaliesProps } from './usage-anomalies';
export { UsageAnalytics, type UsageAnalyticsProps } from './usage-analytics';
export { UsageReportsFunction, type UsageReportsFunctionProps } from './usage-reports-function';
export { keygateFunction, type KeygateFunctionProps } from './keygate-function';

// The settings those constructs take, from the same definitions `cdk synth` uses.
export { configFromContext, DEFAULT_CONFIG, type KeygateConfig, resolveConfig } from '../core/config';
export { type OperatorRoute, parseOperatorRoutes, RouteConfigError } from '../core/operator-routes';
export { resolveDeployment } from '../core/settings';
export { WebhookDelivery, webhookUrlSetting, type WebhookDeliveryProps } from './webhook-delivery';
export { Monitoring, type MonitoringProps, monitoringSettings } from './monitoring';
export { ConsoleSite, type ConsoleSiteProps } from './console';
