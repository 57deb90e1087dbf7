// The operations the gpt-oss forward pass needs, one method per op, so that the forward pass (Models/GptOss) never says
// how or where they run. Tensors are the backend's own (NewTensor); weights may be of any ggml type and must live on the
// backend's device. Each op mirrors a ggml op (named in its summary) so results can be compared node by node with
// llama.cpp's graph (gpt-oss-facts.md §4). Shapes: [rows × columns], a row per token (or per token's expert slot).
// Per-step inputs (tokens, positions, KV slots, the position each slot holds) are I32 tensors [1 × n] written once per step
// (a GPU backend keeps them on the device, so a recorded step replays unchanged); an op reads as many entries as its
// operand has rows. Fused ops (MatMulManyBias, RopeStore, MatMulBiasAdd, Route, ExpertsGateUp, ExpertsDownAdd) have
// default bodies made of the plain ops, which the CPU backend keeps (its results stay those of llama.cpp's graph); a GPU
// backend runs each as one or two kernels.

using Tessera.Quants;

namespace Tessera.Backends;

/// <summary>A compute backend: memory on one device and the forward-pass ops over it.</summary>
public interface IBackend : IDisposable
{
    /// <summary>The device this backend computes on; its tensors and the weights it reads live there.</summary>
    Device Device { get; }

    /// <summary>A short description, e.g. <c>cpu, 2 threads</c>.</summary>
    string Name { get; }

    /// <summary>A new [<paramref name="rows"/> × <paramref name="columns"/>] tensor of F32, F16 or I32, filled with zeros.</summary>
    BackendTensor NewTensor(GgmlType type, int rows, int columns);

    /// <summary>The first <paramref name="rows"/> rows of <paramref name="tensor"/> as a tensor of their own that shares its
    /// memory: nothing is allocated or copied, disposing the view frees nothing, and the view must not outlive the tensor.
    /// A forward pass's scratch is allocated once for the largest batch and viewed by row count this way. On the CPU and
    /// CUDA the view holds the tensor's first rows; the hybrid backend makes a view's host or GPU copy when an op needs it
    /// (a view of the tensor's copy), so only what an op wrote into the view is defined there.</summary>
    BackendTensor ViewRows(BackendTensor tensor, int rows);

    /// <summary>Copies host values into an F32 or F16 tensor (rounding to F16 where needed).</summary>
    void Write(ReadOnlySpan<float> source, BackendTensor destination);

    /// <summary>Copies an F32 or F16 tensor to host memory as floats.</summary>
    void Read(BackendTensor source, Span<float> destination);

    /// <summary>Copies an I32 tensor to host memory.</summary>
    void Read(BackendTensor source, Span<int> destination);

    /// <summary>An F32 tensor's values in host memory the backend keeps, valid until the next call on this backend: the
    /// CPU's own tensor; on a GPU, the page-locked memory the values were copied into (a decode step's logits, most of them
    /// while the head still computes the rest), so nothing is copied into an array of the caller's. By default, a new
    /// array <see cref="Read(BackendTensor, Span{float})"/> fills.</summary>
    ReadOnlySpan<float> ReadInPlace(BackendTensor source)
    {
        var values = new float[source.ElementCount];
        Read(source, values);
        return values;
    }

    /// <summary>Copies host integers into an I32 tensor from element <paramref name="offset"/> on (a step's inputs).</summary>
    void Write(ReadOnlySpan<int> source, BackendTensor destination, int offset = 0);

    /// <summary>The weight as this backend computes with it: the same object for the CPU (the mapped file), a device copy
    /// (possibly repacked) for a GPU. Called once per weight when a model is loaded.</summary>
    WeightTensor Load(WeightTensor weight) => weight;

    /// <summary>Whether <see cref="GetRows"/> reads <paramref name="table"/>, a weight left in host memory (the token table,
    /// a row a token), where it lies, without a copy in this backend's memory: the CPU does; CUDA registers its pages so
    /// that its kernel reads the rows over the bus. False: the caller looks the rows up on the host and writes them. A
    /// table read in place is let go by <see cref="ReleaseHostTable"/> before its file closes.</summary>
    bool ReadHostTableInPlace(WeightTensor table) => table.Device == Device;

    /// <summary>Lets go of a table <see cref="ReadHostTableInPlace"/> took (nothing where it took nothing).</summary>
    void ReleaseHostTable(WeightTensor table) { }

    /// <summary>Every weight of the model is loaded: what loading alone needed (staging buffers) can go.</summary>
    void LoadDone() { }

    /// <summary>Copies <paramref name="count"/> rows between two tensors of the same type and width.</summary>
    void CopyRows(BackendTensor source, int sourceRow, BackendTensor destination, int destinationRow, int count);

    /// <summary>ggml_get_rows: destination[i] = row <paramref name="rows"/>[i] of <paramref name="table"/>, dequantised
    /// (the token embedding lookup); rows is I32 [1 × ≥ destination.Rows].</summary>
    void GetRows(WeightTensor table, BackendTensor rows, BackendTensor destination);

    /// <summary>ggml_mul_mat: output[t] = W·input[t], for W {in, out} of any supported type, input [T × in], output [T × out].</summary>
    void MatMul(WeightTensor weight, BackendTensor input, BackendTensor output);

    /// <summary>ggml_mul_mat_id: output[t·k + j] = W[experts[t, j]]·x, for W {in, out, E}, experts [T × k] (I32) and
    /// x = input[t] when input is [T × in] (the same input for every slot) or input[t·k + j] when it is [T·k × in].</summary>
    void MatMulExperts(WeightTensor weight, BackendTensor input, BackendTensor experts, BackendTensor output);

    /// <summary>Several ggml_mul_mat of one input: outputs[i] = weights[i]·input (the Q, K and V projections). The
    /// results are those of separate <see cref="MatMul"/> calls; a backend may run them as one pass.</summary>
    void MatMulMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        for (int i = 0; i < weights.Length; i++) MatMul(weights[i], input, outputs[i]);
    }

    /// <summary>Several ggml_mul_mat_id of one input and one routing (the gate and up experts): outputs[i] =
    /// <see cref="MatMulExperts"/>(weights[i], input, experts). A backend may run them as one pass.</summary>
    void MatMulExpertsMany(ReadOnlySpan<WeightTensor> weights, BackendTensor input, BackendTensor experts, ReadOnlySpan<BackendTensor> outputs)
    {
        for (int i = 0; i < weights.Length; i++) MatMulExperts(weights[i], input, experts, outputs[i]);
    }

    /// <summary>ggml_add with a broadcast vector: x[t] += bias, for an F32 bias {n}.</summary>
    void AddBias(BackendTensor x, WeightTensor bias);

    /// <summary>ggml_add_id: x[t·k + j] += bias[experts[t, j]], for an F32 bias {n, E}.</summary>
    void AddExpertBias(BackendTensor x, WeightTensor bias, BackendTensor experts);

    /// <summary>ggml_add: x += addend (same shape); the residual connection.</summary>
    void Add(BackendTensor x, BackendTensor addend);

    /// <summary>ggml_rms_norm then ggml_mul: output[t] = input[t] / sqrt(mean(input[t]²) + ε) · weight.</summary>
    void RmsNorm(BackendTensor input, WeightTensor weight, float epsilon, BackendTensor output);

    /// <summary>ggml_rope_ext, NEOX mode: rotates every head of x[t] (heads of <see cref="YarnRope.Dimensions"/> values) in
    /// place for position <paramref name="positions"/>[t] (I32 [1 × ≥ x.Rows]).</summary>
    void Rope(BackendTensor x, BackendTensor positions, YarnRope rope);

    /// <summary>ggml_set_rows: destination[rows[t]] = source[t], converted to the destination's type (the KV cache write);
    /// rows is I32 [1 × ≥ source.Rows].</summary>
    void SetRows(BackendTensor source, BackendTensor destination, BackendTensor rows);

    /// <summary>Attention with sinks over a KV cache (ggml_flash_attn_ext with sinks). Query head h of row t attends to every
    /// slot s &lt; keyCount that <see cref="AttentionMask.IsVisible"/> allows for queryPositions[t], keyPositions[s]
    /// and <paramref name="window"/>, using KV head h / (heads / kvHeads): weights softmax(scale·q·k) with sinks[h] as an
    /// extra logit that only adds to the denominator. Heads = sinks length; head size = queries.Columns / heads.</summary>
    /// <param name="queries">[T × heads·d].</param>
    /// <param name="keys">Cache [slots × kvHeads·d], F16 or F32.</param>
    /// <param name="values">Cache [slots × kvHeads·d], same type as keys.</param>
    /// <param name="queryPositions">I32 [1 × ≥ T]: position of each query row.</param>
    /// <param name="keyPositions">I32 [1 × slots]: position held by each slot, −1 for none.</param>
    /// <param name="keyCount">Slots from keyCount on are empty (−1). A backend that replays recorded steps may look at
    /// every slot instead, since this count changes from step to step.</param>
    /// <param name="window">Sliding window, or 0 for full attention.</param>
    /// <param name="sinks">F32 {heads}: per-head sink logits (not scaled).</param>
    /// <param name="scale">Factor on q·k (1/√d).</param>
    /// <param name="output">[T × heads·d], heads concatenated.</param>
    /// <param name="slotsByPosition">The caller's promise that position p is held in slot p mod slots or in none (a
    /// <c>KvSlotMap</c>'s layout, linear or ring): a backend may then look only at the slots that can hold a visible
    /// position (the window behind each query, or the positions up to it). The result is the same either way, up to
    /// the backend's stated tolerance.</param>
    void Attention(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor queryPositions,
        BackendTensor keyPositions, int keyCount, int window, WeightTensor sinks, float scale, BackendTensor output,
        bool slotsByPosition = false);

    /// <summary>ggml_argsort_top_k, ggml_get_rows and ggml_soft_max: for each row of <paramref name="logits"/> [T × E], the
    /// k = experts.Columns largest logits in descending order (experts [T × k], I32) and the softmax over those k only
    /// (weights [T × k]).</summary>
    void TopKSoftmax(BackendTensor logits, BackendTensor experts, BackendTensor weights);

    /// <summary>ggml_swiglu_oai: output = g·σ(α·g)·(u + 1) with g = min(gate, limit), u = clamp(up, −limit, limit).</summary>
    void SwiGluOai(BackendTensor gate, BackendTensor up, float alpha, float limit, BackendTensor output);

    /// <summary>ggml_mul then ggml_add over slots: output[t] = Σ_j weights[t, j]·experts[t·k + j], summed as llama.cpp does
    /// (slot 0 + slot 1, then + slot 2, ...). experts [T·k × n], weights [T × k], output [T × n].</summary>
    void WeightedSum(BackendTensor experts, BackendTensor weights, BackendTensor output);

    // ---- Fused ops: default bodies are the plain ops in the order llama.cpp's graph runs them. ----

    /// <summary>MatMulMany then AddBias on each output: outputs[i] = weights[i]·input + biases[i] (Q, K and V).</summary>
    void MatMulManyBias(ReadOnlySpan<WeightTensor> weights, ReadOnlySpan<WeightTensor> biases, BackendTensor input, ReadOnlySpan<BackendTensor> outputs)
    {
        MatMulMany(weights, input, outputs);
        for (int i = 0; i < outputs.Length; i++) AddBias(outputs[i], biases[i]);
    }

    /// <summary>RoPE on the queries and keys, then the keys and values into the cache rows <paramref name="slots"/>.</summary>
    void RopeStore(BackendTensor queries, BackendTensor keys, BackendTensor values, BackendTensor positions, YarnRope rope,
        BackendTensor keyCache, BackendTensor valueCache, BackendTensor slots)
    {
        Rope(queries, positions, rope);
        Rope(keys, positions, rope);
        SetRows(keys, keyCache, slots);
        SetRows(values, valueCache, slots);
    }

    /// <summary>residual += weight·input + bias, through <paramref name="scratch"/> (shaped like residual).</summary>
    void MatMulBiasAdd(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor scratch, BackendTensor residual)
    {
        MatMul(weight, input, scratch);
        AddBias(scratch, bias);
        Add(residual, scratch);
    }

    /// <summary>The router: logits = weight·input + bias, then <see cref="TopKSoftmax"/>.</summary>
    void Route(WeightTensor weight, WeightTensor bias, BackendTensor input, BackendTensor logits, BackendTensor experts, BackendTensor weights)
    {
        MatMul(weight, input, logits);
        AddBias(logits, bias);
        TopKSoftmax(logits, experts, weights);
    }

    /// <summary>The experts' first half: gate and up products with their biases, then SwiGLU-OAI into
    /// <paramref name="activations"/> ([T·k × n_ff]); gateOut and upOut are scratch of the same shape.</summary>
    void ExpertsGateUp(WeightTensor gate, WeightTensor gateBias, WeightTensor up, WeightTensor upBias, BackendTensor input,
        BackendTensor experts, BackendTensor gateOut, BackendTensor upOut, float alpha, float limit, BackendTensor activations)
    {
        ReadOnlySpan<WeightTensor> gateUp = [gate, up];       // on the stack: decoding allocates nothing
        ReadOnlySpan<BackendTensor> outputs = [gateOut, upOut];
        MatMulExpertsMany(gateUp, input, experts, outputs);
        AddExpertBias(gateOut, gateBias, experts);
        AddExpertBias(upOut, upBias, experts);
        SwiGluOai(gateOut, upOut, alpha, limit, activations);
    }

    /// <summary>The experts' second half: down products with their biases into <paramref name="downOut"/> ([T·k × n_embd]),
    /// weighted and summed into <paramref name="scratch"/> ([T × n_embd]), added to <paramref name="residual"/>.</summary>
    void ExpertsDownAdd(WeightTensor down, WeightTensor downBias, BackendTensor activations, BackendTensor experts,
        BackendTensor expertWeights, BackendTensor downOut, BackendTensor scratch, BackendTensor residual)
    {
        MatMulExperts(down, activations, experts, downOut);
        AddExpertBias(downOut, downBias, experts);
        WeightedSum(downOut, expertWeights, scratch);
        Add(residual, scratch);
    }

    // ---- Sampling where the logits are. ----

    /// <summary>Whether <see cref="Argmax"/> is cheaper here than reading the logits to the host (a GPU: the 201,088
    /// logits of a token stay on the device and only the token id comes back).</summary>
    bool SamplesOnDevice => false;

    /// <summary>The index of the largest value of row <paramref name="row"/> of <paramref name="logits"/> (lowest index on
    /// ties; NaN never wins): greedy sampling.</summary>
    int Argmax(BackendTensor logits, int row)
    {
        var all = new float[logits.ElementCount];
        Read(logits, all);
        var values = all.AsSpan(row * logits.Columns, logits.Columns);
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best] || float.IsNaN(values[best])) best = i;
        return best;
    }

    /// <summary>The token <paramref name="draw"/> picks from row <paramref name="row"/> of <paramref name="logits"/>, as
    /// <see cref="Inference.Sampler"/> would with the same settings and random number; or −1 where it is not settled here
    /// (a NaN or infinite logit, a kept set this backend cannot hold, a boundary within rounding, or no sampling on this
    /// device at all, as in this default body): the caller then reads the logits and samples on the host with the same
    /// draw.</summary>
    int Sample(BackendTensor logits, int row, Inference.TokenDraw draw) => -1;

    // ---- Recorded steps: a backend with a launch cost per op (a GPU) records one decode step and replays it. ----

    /// <summary>Replays the step recorded under <paramref name="key"/>, if there is one; false otherwise (the CPU: always).</summary>
    bool TryReplayStep(object key) => false;

    /// <summary>Whether the next step may be recorded (then run) under a key: ops between <see cref="BeginStepRecording"/>
    /// and <see cref="EndStepRecording"/> must depend on nothing but backend tensors and constants.</summary>
    bool CanRecordSteps => false;

    /// <summary>Starts recording a step's ops for <paramref name="key"/> instead of running them; false when the backend
    /// wants this step run directly instead (e.g. the first time it sees the key, so that buffers made on first use exist
    /// before anything is recorded).</summary>
    bool BeginStepRecording(object key) => false;

    /// <summary>Ends the recording, keeps it under <paramref name="key"/> and runs it once.</summary>
    void EndStepRecording(object key) { }

    /// <summary>Drops a recording that failed part way.</summary>
    void AbortStepRecording() { }

    /// <summary>Forgets recordings made under <paramref name="key"/> (its tensors are going away).</summary>
    void ForgetSteps(object key) { }
}
