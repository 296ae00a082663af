import { startProgram } from '@peerpods/cli';
import { buildCli } from './cli';

startProgram(buildCli());
