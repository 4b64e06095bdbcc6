// dynalite ships no types; this is the part of its API we use.
declare module "dynalite" {
  import type { Server } from "node:http";
  interface DynaliteOptions {
    /** Directory for the LevelDB store; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
