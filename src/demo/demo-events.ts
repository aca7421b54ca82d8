import { seededRandom } from './seeded-random';

/**
 * The events of the demo lifecycle, as the capture clients would send them. Deterministic (a
 * seeded generator, fixed times and ids), so loading twice changes nothing and tests can rely on
 * every figure.
 */
export const DEMO = {
  rawFile: '/data/netherlands.sgy',
  store: 'fs',
  inlineRange: [100, 750],
  crosslineRange: [300, 1250],
  tileSize: 40,
  noiseThreshold: 0.3,
  batchSize: 60,
  maxEpochs: 300,
  batchesPerEpoch: 35,
  learningRates: [0.01, 0.001],
  bestModel: '/models/model188.hdf5',
  bestEpoch: 188,
  bestLoss: 2.2e-3,
  bestMeanIou: 0.722,
  cluster: 'ibm-hpc-cluster',
  jobIds: ['48213', '48214'],
  hosts: ['gpu-node-01', 'gpu-node-02'],
} as const;

type Event = Record<string, unknown>;
const ref = (uri: string) => ({ $ref: uri, store: DEMO.store });

const T0 = Date.parse('2019-06-03T08:00:00Z');

export function curationEvents(): Event[] {
  const run = 'demo-curation-1';
  const t = T0 - 3 * 86_400_000;
  return [
    { id: `${run}:0`, type: 'agent', agent: 'domain-scientist', kind: 'PERSON', name: 'Domain scientist (geophysics)' },
    {
      id: `${run}:1`,
      type: 'workflowBegin',
      run,
      workflow: 'seismic-data-curation',
      agent: 'domain-scientist',
      time: t,
      attributes: { cluster: DEMO.cluster, jobId: '47001', nodes: ['cpu-node-07'] },
    },
    {
      id: `${run}:2`,
      type: 'taskBegin',
      task: `${run}.extract`,
      run,
      transformation: 'extract_seismic_metadata',
      host: 'cpu-node-07',
      time: t + 1000,
      // provml reads the file's headers itself after the batch commits (docs/extract.md): its
      // ranges, trace count and footprint become the file's extraction, and the footprint the
      // cube's polygon in the document store.
      used: { seismic_file: { ...ref(DEMO.rawFile), extract: true } },
    },
    {
      id: `${run}:3`,
      type: 'taskEnd',
      task: `${run}.extract`,
      time: t + 95_000,
      generated: {
        inline_range: DEMO.inlineRange,
        crossline_range: DEMO.crosslineRange,
        number_of_inlines: 651,
        number_of_crosslines: 951,
        file_size_bytes: 1_342_177_280,
        coordinates: {
          type: 'Polygon',
          crs: 'EPSG:23031',
          coordinates: [
            [
              [605835, 6073556],
              [629576, 6074220],
              [629122, 6090463],
              [605381, 6089799],
              [605835, 6073556],
            ],
          ],
        },
      },
    },
    { id: `${run}:4`, type: 'workflowEnd', run, time: t + 96_000 },
  ];
}

export function preparationEvents(): Event[] {
  const run = 'demo-preparation-1';
  const t = T0 - 2 * 86_400_000;
  return [
    {
      id: `${run}:1`,
      type: 'workflowBegin',
      run,
      workflow: 'learning-data-preparation',
      agent: 'domain-scientist',
      time: t,
      attributes: { cluster: DEMO.cluster, jobId: '47102', nodes: ['cpu-node-07', 'cpu-node-08'] },
    },
    {
      id: `${run}:2`,
      type: 'taskBegin',
      task: `${run}.tiles`,
      run,
      transformation: 'generate_tiles',
      host: 'cpu-node-07',
      time: t + 1000,
      used: {
        seismic_file: ref(DEMO.rawFile),
        tile_size: DEMO.tileSize,
        noise_threshold: DEMO.noiseThreshold,
        inline_range: DEMO.inlineRange,
        crossline_range: DEMO.crosslineRange,
      },
    },
    {
      id: `${run}:3`,
      type: 'taskEnd',
      task: `${run}.tiles`,
      time: t + 1_800_000,
      generated: {
        train_set: ref('/input/train.hdf5'),
        test_set: ref('/input/test.hdf5'),
        valid_set: ref('/input/valid.hdf5'),
        number_of_tiles: { train: 2100, test: 450, valid: 450 },
      },
    },
    { id: `${run}:4`, type: 'workflowEnd', run, time: t + 1_801_000 },
  ];
}

/** Loss of an epoch: the lr 0.01 run reaches its least loss, 2.2e-3, at epoch 188. */
function lossAt(lrIndex: number, epoch: number): number {
  if (lrIndex === 0 && epoch === DEMO.bestEpoch) return DEMO.bestLoss;
  const floor = lrIndex === 0 ? 0.0023 : 0.0041;
  return floor + 0.05 * Math.exp(-epoch / (lrIndex === 0 ? 40 : 90)) + 0.0002 * Math.abs(Math.sin(epoch));
}

function iouAt(lrIndex: number, epoch: number): number {
  if (lrIndex === 0 && epoch === DEMO.bestEpoch) return DEMO.bestMeanIou;
  const top = lrIndex === 0 ? 0.715 : 0.68;
  return Number((top - 0.4 * Math.exp(-epoch / 50) - 0.002 * Math.abs(Math.cos(epoch))).toFixed(4));
}

/** One training run per learning rate: training -> 300 epochs -> 35 batches each. */
export function trainingEvents(lrIndex: number, epochs: number = DEMO.maxEpochs): Event[] {
  const lr = DEMO.learningRates[lrIndex];
  const run = `demo-training-lr${lr}`;
  const random = seededRandom(1000 + lrIndex);
  const host = DEMO.hosts[lrIndex];
  const ev: Event[] = [];
  let seq = 0;
  const id = () => `${run}:${seq++}`;
  let t = T0 + lrIndex * 86_400_000;
  ev.push({ id: id(), type: 'agent', agent: 'ml-scientist', kind: 'PERSON', name: 'ML scientist' });
  ev.push({ id: id(), type: 'agent', agent: 'pytorch-1.1', kind: 'SOFTWARE', name: 'PyTorch 1.1.0' });
  ev.push({
    id: id(),
    type: 'workflowBegin',
    run,
    workflow: 'seismic-training',
    agent: 'ml-scientist',
    time: t,
    attributes: {
      cluster: DEMO.cluster,
      jobId: DEMO.jobIds[lrIndex],
      nodes: [host],
      gpus: ['Tesla V100-SXM2-16GB', 'Tesla V100-SXM2-16GB'],
      cudaVisibleDevices: '0,1',
    },
    used: { learning_task: 'Seismic stratigraphic classification' },
  });
  const training = `${run}.training`;
  ev.push({
    id: id(),
    type: 'taskBegin',
    task: training,
    run,
    transformation: 'training',
    host,
    time: t,
    used: {
      batch_size: DEMO.batchSize,
      max_epochs: DEMO.maxEpochs,
      learning_rate: lr,
      optimizer: 'Adam',
      algorithm: 'U-Net',
      train_set: ref('/input/train.hdf5'),
      valid_set: ref('/input/valid.hdf5'),
    },
  });
  for (let e = 1; e <= epochs; e++) {
    const epoch = `${training}.e${e}`;
    ev.push({
      id: id(),
      type: 'taskBegin',
      task: epoch,
      run,
      parent: training,
      transformation: 'epoch',
      host,
      time: t,
      used: { epoch: e },
    });
    for (let b = 0; b < DEMO.batchesPerEpoch; b++) {
      const ms = Math.round(180 + 80 * random() + (b === 0 ? 120 : 0)); // the first batch loads data
      const task = `${epoch}.b${b}`;
      ev.push({
        id: id(),
        type: 'taskBegin',
        task,
        run,
        parent: epoch,
        transformation: 'batch',
        host,
        time: t,
        used: { batch_index: b },
      });
      t += ms;
      ev.push({ id: id(), type: 'taskEnd', task, time: t });
    }
    const loss = lossAt(lrIndex, e);
    const generated: Record<string, unknown> = { loss, mean_iou: iouAt(lrIndex, e) };
    // Checkpoints every 50 epochs, and the best model of the lr 0.01 run.
    if (e % 50 === 0 || (lrIndex === 0 && e === DEMO.bestEpoch)) {
      generated.model = ref(lrIndex === 0 && e === DEMO.bestEpoch ? DEMO.bestModel : `/models/lr${lr}/model${e}.hdf5`);
      generated.epoch = e;
    }
    t += 400;
    ev.push({ id: id(), type: 'taskEnd', task: epoch, time: t, generated });
    ev.push({ id: id(), type: 'metric', run, task: epoch, name: 'loss', value: loss, step: e, context: 'TRAINING', time: t });
    ev.push({
      id: id(),
      type: 'telemetry',
      run,
      task: epoch,
      host,
      time: t,
      cpu: 95 + 5 * random(),
      rss: 6_200_000_000 + Math.round(1e8 * random()),
      gpu: [0, 1].map((index) => ({
        index,
        name: 'Tesla V100-SXM2-16GB',
        utilization: Math.round(85 + 14 * random()),
        memoryUsed: 14_000_000_000 + Math.round(1e9 * random()),
        memoryTotal: 16_945_512_448,
        power: Math.round(230 + 60 * random()),
        temperature: Math.round(60 + 15 * random()),
        energy: Math.round(((t - T0) / 1000) * 250),
      })),
    });
  }
  ev.push({ id: id(), type: 'taskEnd', task: training, time: t + 1000 });
  ev.push({ id: id(), type: 'workflowEnd', run, time: t + 2000 });
  return ev;
}

export function demoEvents(epochs?: number): Event[] {
  return [...curationEvents(), ...preparationEvents(), ...DEMO.learningRates.flatMap((_, i) => trainingEvents(i, epochs))];
}
