export declare function faceMeshPackageDir(): string;
export declare function readFaceMeshAssets(packageDir?: string): Map<string, Uint8Array>;
