import { RedisBus } from '../../src/live/redis-bus';
import { silentLogger } from '../../src/logger';
import { REDIS_URL } from '../helpers/redis';
import { liveBusContract } from './live-bus.contract';

liveBusContract('Redis pub/sub', () => new RedisBus(REDIS_URL, silentLogger));
