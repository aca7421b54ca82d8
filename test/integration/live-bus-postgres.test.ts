import { PgNotifyBus } from '../../src/live/pg-notify-bus';
import { silentLogger } from '../../src/logger';
import { liveBusContract } from './live-bus.contract';

liveBusContract('PostgreSQL LISTEN/NOTIFY', (opened) => new PgNotifyBus(opened.url, silentLogger));
