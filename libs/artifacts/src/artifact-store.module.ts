import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ARTIFACT_STORE } from './artifact-store.js';
import { FileArtifactStore } from './file-artifact-store.js';

/** Provides the process's ArtifactStore under ARTIFACT_STORE. */
@Global()
@Module({})
export class ArtifactStoreModule {
  static forRoot(rootDir: string): DynamicModule {
    return {
      module: ArtifactStoreModule,
      global: true,
      providers: [{ provide: ARTIFACT_STORE, useValue: new FileArtifactStore(rootDir) }],
      exports: [ARTIFACT_STORE],
    };
  }
}
