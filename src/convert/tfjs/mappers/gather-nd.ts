/** GatherND, batch_dims included (batch coordinates prepended to each index tuple). */
import { A } from "../graph-builder.js";
import { unsupported, type OpSpec } from "../context.js";
import { cast, concat } from "./emit.js";

export const gatherNdSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    const idx = c.in(1);
    if (!x.shape || !idx.shape || idx.shape[idx.shape.length - 1] === null)
      unsupported("GatherND needs known shapes");
    const k = idx.shape[idx.shape.length - 1] as number;
    const b = c.attr.int("batch_dims", 0);
    const shape = [...idx.shape.slice(0, -1), ...x.shape.slice(b + k)];
    let iref = c.ref(idx, "native");
    if (b > 0) {
      // TF.js has no batch_dims: prepend each index tuple with its batch coordinates (a constant).
      const lead = idx.shape.slice(0, -1);
      if (!lead.every((d): d is number => d !== null))
        unsupported("GatherND with batch_dims needs static index shapes");
      const n = lead.reduce((a, d) => a * d, 1);
      const coords = new Float64Array(n * b);
      for (let i = 0; i < n; i++) {
        let rest = i;
        const full: number[] = [];
        for (let a = lead.length - 1; a >= 0; a--) {
          full[a] = rest % lead[a];
          rest = Math.floor(rest / lead[a]);
        }
        for (let a = 0; a < b; a++) coords[i * b + a] = full[a];
      }
      const cref = c.kConst({ dims: [...lead, b], data: coords }, "int32");
      iref = concat(c, [cref, cast(c, iref, idx.dtype, "int32")], lead.length, "int32");
    }
    const ref = c.op("GatherNd", [c.ref(x, "native"), iref], {
      Tparams: A.type(x.dtype),
      Tindices: A.type("int32"),
    });
    return [c.out(ref, x.dtype, shape)];
  },
};
