using System.Text.RegularExpressions;
using Maple.Clip.Checkpoints;
using Maple.Clip.Weights;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// Converts checkpoints saved by the MaPLe authors' PyTorch code into our prompt files. Their trainers save
/// through Dassl's <c>save_checkpoint</c>: a torch.save file holding <c>{"state_dict", "epoch", "optimizer",
/// "scheduler", "val_result"}</c>, whose state dict is the whole prompted model for MaPLe, IVLP and PromptSRC (the
/// frozen CLIP included, and for PromptSRC a second frozen image encoder, <c>prompt_learner.ZS_image_encoder</c>, by
/// which its checkpoints are told from IVLP's) and only the prompt learner for CoOp and CoCoOp. The learned prompts are kept under the
/// authors' names (which our learners share), converted to fp32; the class-dependent buffers and the frozen
/// backbone are dropped. The file is read by <see cref="TorchCheckpointReader"/>, which never runs its pickle.
/// </summary>
public static class AuthorCheckpointImporter
{
    /// <summary>The <c>imported_from</c> metadata of every imported file.</summary>
    public const string ImportedFrom = "MaPLe/Dassl checkpoint";

    const string ClassBuffer = "class-dependent buffer (rebuilt from the class names)";
    const string FrozenBackbone = "frozen backbone";
    const string ZeroShotEncoderPrefix = "prompt_learner.ZS_image_encoder.";
    const string ZeroShotEncoder = "PromptSRC's frozen zero-shot image encoder (the backbone's)";

    // Every learnable name of the methods we implement (see the learners).
    static readonly Regex PromptName = new(
        @"^(prompt_learner\.(ctx|proj\.(weight|bias)|compound_prompts_text\.\d+|compound_prompt_projections\.\d+\.(weight|bias)" +
        @"|meta_net\.linear[12]\.(weight|bias))|image_encoder\.VPT|(text|image)_encoder\.transformer\.resblocks\.\d+\.VPT_shallow" +
        @"|representation_learner\.(compound_rep_tokens|compound_rep_tokens_r2[vt]proj\.\d+\.(weight|bias))|image_encoder\.proj_rep)$",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/>, infers the method and its shapes from the tensor names,
    /// and checks that they are consistent. <paramref name="ctxInit"/> is the authors' <c>CTX_INIT</c> (null for
    /// the method's default in their configs).
    /// </summary>
    /// <exception cref="UnsafePickleException">The checkpoint's pickle asks for something outside the reader's allow-list.</exception>
    /// <exception cref="InvalidDataException">The file holds no prompts of a method we implement, or they are inconsistent; the message names the file.</exception>
    public static ImportedPrompts Read(string path, string? ctxInit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such checkpoint file", path);

        if (TorchWeightsFile.IsTorchScript(path))
            throw new InvalidDataException(
                $"{path} is a TorchScript archive (a whole model saved with torch.jit.save), not a checkpoint saved by the authors' trainer");

        var stateDict = TorchCheckpointReader.LoadStateDict(path, out var entries);
        var prompts = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var listing = new List<AuthorCheckpointEntry>();
            var names = NormalizeNames(stateDict.Keys);
            foreach (var (original, tensor) in stateDict)
            {
                var name = names[original];
                var dropped = DropReason(name);
                listing.Add(new AuthorCheckpointEntry(name, tensor.dtype, tensor.shape, dropped));
                if (dropped is not null)
                    continue;
                if (!tensor.is_floating_point())
                    throw new InvalidDataException($"{path}: prompt tensor '{name}' holds {tensor.dtype} values, not floating point");
                // The authors keep some prompts in CLIP's fp16 (and proj is .half()'d): widening to fp32 is exact.
                prompts.Add(name, tensor.to(ScalarType.Float32, copy: true));
            }

            var unknown = listing.Where(e => e.Dropped is null && !PromptName.IsMatch(e.Name)).Select(e => e.Name).ToList();
            if (unknown.Count > 0)
                throw new InvalidDataException(
                    $"{path}: holds prompt tensors that none of the methods Maple implements has ({string.Join(", ", unknown)}); " +
                    "it imports MaPLe, PromptSRC, CoOp, CoCoOp, IVLP, deep language prompting, VPT-deep and MMRL checkpoints");
            if (prompts.Count == 0)
                throw new InvalidDataException(
                    $"{path}: no prompt tensors found among its {listing.Count} tensors (expected names such as prompt_learner.ctx)");
            foreach (var (name, tensor) in prompts)
            {
                using var finite = tensor.isfinite().all();
                if (!finite.item<bool>())
                    throw new InvalidDataException($"{path}: prompt tensor '{name}' holds NaN or infinite values");
            }

            var (config, widths) = Infer(prompts, path);
            // Prompts of IVLP's shape trained beside a frozen zero-shot encoder are PromptSRC's.
            if (config.Method == PromptMethod.Ivlp && listing.Any(e => e.Dropped == ZeroShotEncoder))
                config = config with { Method = PromptMethod.PromptSrc };
            config = config with { CtxInit = ResolveCtxInit(config, ctxInit, path) };
            var epoch = entries.TryGetValue("epoch", out var e) && e is long n ? n : (long?)null;
            return new ImportedPrompts(Path.GetFullPath(path), config, prompts, listing, epoch, widths);
        }
        catch
        {
            foreach (var tensor in prompts.Values)
                tensor.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in stateDict.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/> and writes its prompts to <paramref name="outputPath"/>
    /// (atomically, and only once everything has been checked, including the backbone when one is given).
    /// </summary>
    /// <returns>What was found; the caller disposes it.</returns>
    /// <exception cref="UnsafePickleException">The checkpoint's pickle asks for something outside the reader's allow-list.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is unusable or does not fit <see cref="AuthorImportOptions.Backbone"/>.</exception>
    public static ImportedPrompts Import(string path, string outputPath, AuthorImportOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(options);
        var imported = Read(path, options.CtxInit);
        try
        {
            imported.Save(outputPath, options);
            return imported;
        }
        catch
        {
            imported.Dispose();
            throw;
        }
    }

    // DataParallel prefixes every name with "module." (Dassl strips it by default, but not always); CoOp and
    // CoCoOp register their prompt learner alone, so its names lack the "prompt_learner." our learners use.
    static Dictionary<string, string> NormalizeNames(IEnumerable<string> keys)
    {
        var stripped = keys.ToDictionary(k => k, k => k.StartsWith("module.", StringComparison.Ordinal) ? k["module.".Length..] : k);
        var promptLearnerAlone = stripped.Values.Contains("ctx")
            && !stripped.Values.Any(k => k.StartsWith("prompt_learner.", StringComparison.Ordinal));
        return promptLearnerAlone ? stripped.ToDictionary(p => p.Key, p => "prompt_learner." + p.Value) : stripped;
    }

    static string? DropReason(string name)
    {
        if (name is "prompt_learner.token_prefix" or "prompt_learner.token_suffix" or "prompt_embeddings")
            return ClassBuffer;
        // MMRL learns its representation learner and the representation tokens' own image projection.
        if (name.StartsWith("representation_learner.", StringComparison.Ordinal) || name == "image_encoder.proj_rep")
            return null;
        if (name.StartsWith(ZeroShotEncoderPrefix, StringComparison.Ordinal))
            return ZeroShotEncoder;
        // Anything else in the prompt learner, and any VPT token (the authors train every name containing
        // "VPT"), is learned: keep it, so that an unknown one is reported rather than silently lost.
        if (name.StartsWith("prompt_learner.", StringComparison.Ordinal) || name.Contains("VPT", StringComparison.Ordinal))
            return null;
        return FrozenBackbone;
    }

    static (PromptConfig Config, PromptWidths Widths) Infer(OrderedDictionary<string, Tensor> prompts, string path)
    {
        foreach (var (name, tensor) in prompts)
        {
            var rank = name.EndsWith(".bias", StringComparison.Ordinal) ? 1 : 2;
            if (tensor.dim() != rank)
            {
                var csc = name == "prompt_learner.ctx" && tensor.dim() == 3 ? " (class-specific contexts, CoOp's CSC option, are not supported)" : "";
                throw new InvalidDataException($"{path}: '{name}' has shape {Format(tensor.shape)}, expected {rank} dimensions{csc}");
            }
        }
        var needsContext = prompts.Keys.FirstOrDefault(k => k.StartsWith("prompt_learner.", StringComparison.Ordinal) && k != "prompt_learner.ctx");
        if (needsContext is not null && !prompts.ContainsKey("prompt_learner.ctx"))
            throw new InvalidDataException($"{path}: has '{needsContext}' but no prompt_learner.ctx");

        var config = PromptCheckpoint.Infer(prompts.ToDictionary(StringComparer.Ordinal), "", path);
        var widths = config.Method == PromptMethod.Mmrl
            ? new PromptWidths(
                Width(prompts, "representation_learner.compound_rep_tokens_r2tproj.0.weight", 0),
                Width(prompts, "representation_learner.compound_rep_tokens_r2vproj.0.weight", 0),
                Width(prompts, "image_encoder.proj_rep", 1))
            : new PromptWidths(
                Width(prompts, "prompt_learner.ctx", 1),
                config.Method == PromptMethod.Maple ? Width(prompts, "prompt_learner.proj.weight", 0) : Width(prompts, "image_encoder.VPT", 1),
                Width(prompts, "prompt_learner.meta_net.linear1.weight", 1));

        var expected = ExpectedShapes(config, widths);
        var missing = expected.Keys.Where(k => !prompts.ContainsKey(k)).ToList();
        var unexpected = prompts.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var wrong = expected.Where(p => prompts.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value))
            .Select(p => $"'{p.Key}' is {Format(prompts[p.Key].shape)}, expected {Format(p.Value)}").ToList();
        if (missing.Count + unexpected.Count + wrong.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0)
                parts.Add($"missing {string.Join(", ", missing)}");
            if (unexpected.Count > 0)
                parts.Add($"unexpected {string.Join(", ", unexpected)}");
            parts.AddRange(wrong);
            throw new InvalidDataException(
                $"{path}: its tensors do not form {PromptMethods.Name(config.Method)} prompts " +
                $"(n_ctx {config.TextTokens}/{config.VisionTokens}, depth {config.TextDepth}/{config.VisionDepth}): {string.Join("; ", parts)}");
        }
        return (config, widths);
    }

    static PromptWidth? Width(OrderedDictionary<string, Tensor> prompts, string name, int dim) =>
        prompts.TryGetValue(name, out var t) ? new PromptWidth((int)t.shape[dim], name, t.shape) : null;

    // The names and shapes a learner of this config has, at the widths the checkpoint shows.
    static Dictionary<string, long[]> ExpectedShapes(PromptConfig c, PromptWidths widths) =>
        PromptLearners.ParameterShapes(c, widths.Text?.Value ?? 0, widths.Vision?.Value ?? 0, widths.Embed?.Value ?? 0);

    // The authors' configs: "a photo of a" for MaPLe, CoCoOp and the deep methods, random for CoOp. CoOp and
    // CoCoOp learn one context token per init word, so init words of another count cannot be theirs.
    static string ResolveCtxInit(PromptConfig config, string? requested, string path)
    {
        if (config.TextTokens == 0 || config.Method == PromptMethod.Mmrl)
            return ""; // nothing learned in the text, or MMRL's hand-written text
        var oneTokenPerWord = config.Method is PromptMethod.CoOp or PromptMethod.CoCoOp;
        if (requested is null)
        {
            var preset = config.Method == PromptMethod.CoOp ? "" : PromptConfig.Maple().CtxInit;
            return oneTokenPerWord && PromptLearners.WordCount(preset) != config.TextTokens ? "" : preset;
        }
        var words = PromptLearners.WordCount(requested);
        if (oneTokenPerWord && words > 0 && words != config.TextTokens)
            throw new InvalidDataException(
                $"{path}: ctx_init \"{requested}\" has {words} words, but the checkpoint's context has {config.TextTokens} tokens; " +
                $"{PromptMethods.Name(config.Method)} learns one token per init word, so these prompts were not initialised from it (use \"\" for random init)");
        return requested;
    }

    static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
