import type { WorkflowSpec } from '../ingest/workflow-spec';
import { parseWorkflowSpec } from '../ingest/workflow-spec';

/**
 * The prospective specs of the paper's lifecycle (Fig. 7): data curation of a seismic cube,
 * learning-data preparation, and training of a seismic stratigraphy model.
 */
const study = {
  id: 'seismic-stratigraphy',
  name: 'Seismic stratigraphic classification',
  description: 'Deep learning for seismic facies in the Netherlands F3 block (ProvLake paper, Sec. V).',
};

export const curationSpec: WorkflowSpec = parseWorkflowSpec({
  name: 'seismic-data-curation',
  kind: 'DATA',
  description: 'Extracts quantities of interest from raw SEG-Y cubes.',
  study,
  transformations: [
    {
      name: 'extract_seismic_metadata',
      kind: 'DATA_TRANSFORMATION',
      used: [{ name: 'seismic_file', role: 'DATA_REFERENCE' }],
      generated: [
        { name: 'inline_range', role: 'DATASET_CHARACTERISTIC' },
        { name: 'crossline_range', role: 'DATASET_CHARACTERISTIC' },
        { name: 'number_of_inlines', role: 'DATASET_CHARACTERISTIC' },
        { name: 'number_of_crosslines', role: 'DATASET_CHARACTERISTIC' },
        { name: 'file_size_bytes', role: 'DATASET_CHARACTERISTIC' },
        { name: 'coordinates', role: 'DATASET_CHARACTERISTIC' },
      ],
    },
  ],
});

export const preparationSpec: WorkflowSpec = parseWorkflowSpec({
  name: 'learning-data-preparation',
  kind: 'DATA',
  description: 'Cuts seismic slices into tiles and writes the training, test and validation sets.',
  study,
  transformations: [
    {
      name: 'generate_tiles',
      kind: 'DATA_TRANSFORMATION',
      used: [
        { name: 'seismic_file', role: 'DATA_REFERENCE' },
        { name: 'tile_size', role: 'PARAMETER' },
        { name: 'noise_threshold', role: 'PARAMETER' },
        { name: 'inline_range', role: 'PARAMETER' },
        { name: 'crossline_range', role: 'PARAMETER' },
      ],
      generated: [
        { name: 'train_set', role: 'LEARNING_DATASET_REFERENCE' },
        { name: 'test_set', role: 'LEARNING_DATASET_REFERENCE' },
        { name: 'valid_set', role: 'LEARNING_DATASET_REFERENCE' },
        { name: 'number_of_tiles', role: 'DATASET_CHARACTERISTIC' },
      ],
    },
  ],
});

export const trainingSpec: WorkflowSpec = parseWorkflowSpec({
  name: 'seismic-training',
  kind: 'LEARNING',
  description: 'Trains a U-Net for seismic stratigraphic classification (Algorithm 1).',
  study,
  attributes: [{ name: 'learning_task', role: 'LEARNING_TASK' }],
  transformations: [
    {
      name: 'training',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      used: [
        { name: 'batch_size', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'max_epochs', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'learning_rate', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'optimizer', role: 'LEARNING_HYPERPARAMETER' },
        { name: 'train_set', role: 'LEARNING_DATASET_REFERENCE' },
        { name: 'valid_set', role: 'LEARNING_DATASET_REFERENCE' },
        { name: 'algorithm', role: 'ALGORITHM' },
      ],
    },
    {
      name: 'epoch',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      parent: 'training',
      used: [{ name: 'epoch', role: 'PARAMETER' }],
      generated: [
        { name: 'loss', role: 'EVALUATION_MEASURE' },
        { name: 'mean_iou', role: 'EVALUATION_MEASURE' },
        { name: 'model', role: 'MODEL_REFERENCE' },
        { name: 'epoch', role: 'MODEL_HYPERPARAMETER' },
      ],
    },
    {
      name: 'batch',
      kind: 'LEARNING_STAGE',
      stageType: 'TRAINING',
      parent: 'epoch',
      used: [{ name: 'batch_index', role: 'PARAMETER' }],
    },
  ],
});

export const DEMO_SPECS = [curationSpec, preparationSpec, trainingSpec];
