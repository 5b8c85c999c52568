import { SetMetadata } from '@nestjs/common';

export const PUBLIC_KEY = 'convergio:public';
/** Marks a route that needs no API key (health, readiness, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
