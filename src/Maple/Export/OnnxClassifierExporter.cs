using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Maple.Clip;
using Maple.Clip.Modules;
using Maple.Prompting;
using Onnx;
using static TorchSharp.torch;
using static Maple.Export.OnnxGraphBuilder;

namespace Maple.Export;

/// <summary>
/// Writes a classifier (a CLIP, its learned prompts and a set of class names) as one ONNX graph that ONNX Runtime
/// or any other ONNX engine runs without Maple: <c>pixel_values</c> (float32 [N, 3, H, W], normalised as
/// <see cref="Imaging.EvalTransform"/> does) to <c>logits</c> (float32 [N, classes], exp(logit_scale) × cosine).
/// </summary>
/// <remarks>
/// The image encoder is written out in full with the learned visual prompts as constants (appended after the patches
/// and written over the prompt rows before each deep layer, as <see cref="VisionTransformer"/> does). The text side
/// does not depend on the image, so the class text features are computed once here, L2-normalised and stored as a
/// constant. CoCoOp's text depends on each image and is refused. The file's <c>metadata_props</c> hold what a
/// consumer needs to preprocess and read the output; see <see cref="MetadataKeys"/>.
/// </remarks>
public static class OnnxClassifierExporter
{
    /// <summary>The ONNX operator set the graph uses.</summary>
    public const int Opset = 17;

    // Protobuf's 2 GiB message limit, less room for the graph and the text features.
    const long MaxWeightBytes = 2_000_000_000;

    /// <summary>The graph's input name.</summary>
    public const string InputName = "pixel_values";

    /// <summary>The graph's output name.</summary>
    public const string OutputName = "logits";

    /// <summary>The keys of the file's <c>metadata_props</c>.</summary>
    public static class MetadataKeys
    {
        /// <summary>The class names, a JSON array of strings in logit order.</summary>
        public const string ClassNames = "class_names";

        /// <summary>The side of the square input image in pixels.</summary>
        public const string ImageSize = "image_size";

        /// <summary>The per-channel mean (R, G, B) subtracted after scaling bytes to [0, 1], a JSON array.</summary>
        public const string Mean = "mean";

        /// <summary>The per-channel standard deviation (R, G, B) divided by, a JSON array.</summary>
        public const string Std = "std";

        /// <summary>The Maple version that wrote the file.</summary>
        public const string MapleVersion = "maple_version";

        /// <summary>The prompt method (<c>maple</c>, <c>coop</c>, ... or <c>zeroshot</c>).</summary>
        public const string Method = "method";

        /// <summary>How each class is worded for the text encoder: a JSON array of templates with <c>{}</c>.</summary>
        public const string Templates = "templates";

        /// <summary>The CLIP the classifier adapts, as the caller named it (when given).</summary>
        public const string Model = "model";

        /// <summary>How an image becomes <c>pixel_values</c>, in words.</summary>
        public const string Preprocessing = "preprocessing";
    }

    /// <summary>Builds the ONNX model of <paramref name="classifier"/> and writes it to <paramref name="path"/> (atomically).</summary>
    /// <param name="classifier">The backbone (fp32), prompts and classes.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="modelName">The backbone's name or path, recorded in the metadata when given.</param>
    /// <exception cref="UserInputException">The method's text depends on the image (CoCoOp), the backbone is not fp32, or its image encoder is too large for one file.</exception>
    public static void Export(PromptedClip classifier, string path, string? modelName = null)
    {
        var model = Build(classifier, modelName);
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>The ONNX model of <paramref name="classifier"/> (see <see cref="Export"/>).</summary>
    /// <exception cref="UserInputException">The method's text depends on the image (CoCoOp), the backbone is not fp32, or its image encoder is too large for one file.</exception>
    public static ModelProto Build(PromptedClip classifier, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        var method = PromptMethods.Name(classifier.Learner.Config.Method);
        if (classifier.Learner.ConditionsOnImage)
            throw new UserInputException(
                $"{method} prompts cannot be exported to ONNX: their text depends on each image, so the class text features are not constants (export another method's prompts)");
        var clip = classifier.Clip;
        if (clip.Precision != Precision.Fp32)
            throw new UserInputException($"ONNX export writes an fp32 graph: load the model in fp32, not {clip.Precision.ToString().ToLowerInvariant()}");

        // One protobuf message holds at most 2 GiB: the image encoder's fp32 weights must fit (ViT-L/14 takes 1.2 GB).
        var weightBytes = clip.Visual.parameters().Sum(p => p.numel()) * sizeof(float);
        if (weightBytes > MaxWeightBytes)
            throw new UserInputException(
                $"this image encoder's weights take {weightBytes / 1e9:F1} GB in fp32, more than one ONNX file holds ({MaxWeightBytes / 1e9:F1} GB)");

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var vision = clip.Config.Vision;
        var graph = new OnnxGraphBuilder("maple_classifier");
        var pixels = graph.Input(InputName, "batch", 3, vision.ImageSize, vision.ImageSize);

        var imageFeatures = EncodeImage(graph, clip.Visual, classifier.Learner.VisionPrompts(), pixels);
        var norm = graph.Node("ReduceL2", [imageFeatures], null, Attribute("axes", new long[] { -1 }), Attribute("keepdims", 1L));
        var normalized = graph.Node("Div", [imageFeatures, norm]);
        var textFeatures = graph.Constant("class_text_features", ClipModel.Normalize(classifier.TextFeatures()));
        var logitScale = clip.LogitScale.exp().item<float>();
        // exp(logit_scale) · image · textᵀ, as ClipModel.Logits computes it.
        var logits = graph.Node("Gemm", [normalized, textFeatures], null, Attribute("transB", 1L), Attribute("alpha", logitScale));
        graph.Output(logits, OutputName, "batch", classifier.ClassNames.Count);

        var model = new ModelProto
        {
            IrVersion = (long)Onnx.Version.IrVersion2021730, // IR 8, the first to carry opset 17
            ProducerName = "Maple",
            ProducerVersion = MapleInfo.Version,
            DocString = $"{method} classifier over {classifier.ClassNames.Count} classes: pixel_values [N, 3, {vision.ImageSize}, {vision.ImageSize}] → logits (exp(logit_scale) · cosine)",
            Graph = graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata(classifier, method, modelName))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    static IEnumerable<(string Key, string Value)> Metadata(PromptedClip classifier, string method, string? modelName)
    {
        var size = classifier.Clip.Config.Vision.ImageSize;
        var normalization = classifier.Clip.Normalization;
        yield return (MetadataKeys.ClassNames, JsonSerializer.Serialize(classifier.ClassNames));
        yield return (MetadataKeys.ImageSize, size.ToString(CultureInfo.InvariantCulture));
        yield return (MetadataKeys.Mean, JsonSerializer.Serialize(normalization.Mean));
        yield return (MetadataKeys.Std, JsonSerializer.Serialize(normalization.Std));
        yield return (MetadataKeys.MapleVersion, MapleInfo.Version);
        yield return (MetadataKeys.Method, method);
        yield return (MetadataKeys.Templates, JsonSerializer.Serialize(classifier.Templates));
        if (modelName is not null)
            yield return (MetadataKeys.Model, modelName);
        yield return (MetadataKeys.Preprocessing,
            $"RGB; resize the shorter side to {size} (bicubic), center-crop {size}x{size}; bytes / 255; (x - mean) / std per channel; NCHW float32");
    }

    /// <summary>The image encoder with its prompts: [N, 3, H, W] → image features [N, embed], not normalised.</summary>
    static string EncodeImage(OnnxGraphBuilder graph, VisionTransformer visual, LayerPrompts? prompts, string pixels)
    {
        var config = visual.Config;
        var width = (long)config.Width;
        var patches = graph.Node("Conv", [pixels, graph.Constant("visual.conv1.weight", visual.PatchEmbedding)], null,
            Attribute("kernel_shape", (long)config.PatchSize, config.PatchSize), Attribute("strides", (long)config.PatchSize, config.PatchSize));
        var flat = graph.Node("Reshape", [patches, graph.Int64s("patch_grid_shape", 0, width, -1)]);
        var x = graph.Node("Transpose", [flat], null, Attribute("perm", 0L, 2, 1)); // [N, patches, width]

        // [N, 1, 1]: what a [1, n, width] constant is expanded by to repeat it for every image.
        var batch = graph.Node("Shape", [pixels], null, Attribute("start", 0L), Attribute("end", 1L));
        var perImage = graph.Node("Concat", [batch, graph.Int64s("ones_2", 1, 1)], null, Attribute("axis", 0L));
        var classToken = graph.Node("Expand", [graph.Constant("visual.class_embedding", visual.ClassEmbedding.reshape(1, 1, width)), perImage]);
        x = graph.Node("Concat", [classToken, x], null, Attribute("axis", 1L));
        x = graph.Node("Add", [x, graph.Constant("visual.positional_embedding", visual.PositionalEmbedding)]);

        var promptCount = prompts?.TokenCount ?? 0;
        if (prompts is not null)
        {
            var tokens = graph.Node("Expand", [graph.Constant("visual.prompts.0", prompts.Input.reshape(1, promptCount, width)), perImage]);
            x = graph.Node("Concat", [x, tokens], null, Attribute("axis", 1L));
        }
        x = LayerNorm(graph, "visual.ln_pre", visual.PreNorm, config.LayerNormEps, x);

        var length = config.SequenceLength + promptCount;
        var blocks = visual.Transformer.Blocks;
        for (var layer = 0; layer < blocks.Count; layer++)
        {
            if (layer > 0 && prompts?.At(layer) is { } deep)
            {
                // Deep prompting: the prompt rows (the last ones) are written over with this layer's tokens.
                var kept = graph.Node("Slice", [x, graph.Int64s("slice_start", 0), graph.Int64s("slice_end", length - promptCount), graph.Int64s("slice_axis", 1)]);
                var tokens = graph.Node("Expand", [graph.Constant($"visual.prompts.{layer}", deep.reshape(1, promptCount, width)), perImage]);
                x = graph.Node("Concat", [kept, tokens], null, Attribute("axis", 1L));
            }
            x = Block(graph, $"visual.transformer.resblocks.{layer}", blocks[layer], config.Heads, config.LayerNormEps, config.Activation, x);
        }

        var classOutput = graph.Node("Gather", [x, graph.Int64s("class_row", 0)], null, Attribute("axis", 1L)); // [N, 1, width]
        classOutput = graph.Node("Reshape", [classOutput, graph.Int64s("row_shape", 0, width)]);
        classOutput = LayerNorm(graph, "visual.ln_post", visual.PostNorm, config.LayerNormEps, classOutput);
        return Linear(graph, "visual.proj", visual.Projection, classOutput);
    }

    /// <summary>A pre-LayerNorm residual attention block over [N, length, width].</summary>
    static string Block(OnnxGraphBuilder graph, string name, ResidualAttentionBlock block, long heads, double eps, string activation, string x)
    {
        var attention = Attention(graph, $"{name}.attn", block.Attention, heads, LayerNorm(graph, $"{name}.ln_1", block.Norm1, eps, x));
        var middle = graph.Node("Add", [x, attention]);
        var hidden = Linear(graph, $"{name}.mlp.c_fc", block.Mlp.Fc, LayerNorm(graph, $"{name}.ln_2", block.Norm2, eps, middle));
        var activated = activation == "quick_gelu"
            ? graph.Node("Mul", [hidden, graph.Node("Sigmoid", [graph.Node("Mul", [hidden, graph.Scalar("quick_gelu_scale", 1.702f)])])])
            : Gelu(graph, hidden);
        return graph.Node("Add", [middle, Linear(graph, $"{name}.mlp.c_proj", block.Mlp.Proj, activated)]);
    }

    /// <summary>Exact (erf) GELU: x · ½ · (1 + erf(x / √2)), as torch's default.</summary>
    static string Gelu(OnnxGraphBuilder graph, string x)
    {
        var erf = graph.Node("Erf", [graph.Node("Div", [x, graph.Scalar("sqrt_2", MathF.Sqrt(2f))])]);
        var half = graph.Node("Mul", [graph.Node("Add", [erf, graph.Scalar("one", 1f)]), graph.Scalar("half", 0.5f)]);
        return graph.Node("Mul", [x, half]);
    }

    /// <summary>Multi-head self-attention over [N, length, width], the fused in_proj split into q, k and v.</summary>
    static string Attention(OnnxGraphBuilder graph, string name, MultiHeadAttention attention, long heads, string x)
    {
        var width = attention.OutProj.Weight.shape[0];
        var headDim = width / heads;
        var split = graph.Int64s($"{name}.head_shape", 0, 0, heads, headDim);
        string Projected(string part, int index, long[] perm)
        {
            var rows = (int)(index * width)..(int)((index + 1) * width);
            var projected = Linear(graph, $"{name}.{part}_proj", attention.InProj.Weight[rows], attention.InProj.Bias?[rows], x);
            return graph.Node("Transpose", [graph.Node("Reshape", [projected, split])], null, Attribute("perm", perm));
        }
        var q = Projected("q", 0, [0, 2, 1, 3]); // [N, heads, length, head_dim]
        var kT = Projected("k", 1, [0, 2, 3, 1]); // [N, heads, head_dim, length]
        var v = Projected("v", 2, [0, 2, 1, 3]);
        var scores = graph.Node("Mul", [graph.Node("MatMul", [q, kT]), graph.Scalar($"{name}.scale", 1f / MathF.Sqrt(headDim))]);
        var weights = graph.Node("Softmax", [scores], null, Attribute("axis", -1L));
        var attended = graph.Node("Transpose", [graph.Node("MatMul", [weights, v])], null, Attribute("perm", 0L, 2, 1, 3));
        var merged = graph.Node("Reshape", [attended, graph.Int64s($"{name}.merged_shape", 0, 0, width)]);
        return Linear(graph, $"{name}.out_proj", attention.OutProj, merged);
    }

    static string Linear(OnnxGraphBuilder graph, string name, FrozenLinear linear, string x) =>
        Linear(graph, name, linear.Weight, linear.Bias, x);

    /// <summary>x · Wᵀ + b, with Wᵀ stored as the constant.</summary>
    static string Linear(OnnxGraphBuilder graph, string name, Tensor weight, Tensor? bias, string x)
    {
        var product = graph.Node("MatMul", [x, graph.Constant($"{name}.weight_t", weight.t())]);
        return bias is null ? product : graph.Node("Add", [product, graph.Constant($"{name}.bias", bias)]);
    }

    static string LayerNorm(OnnxGraphBuilder graph, string name, FrozenLayerNorm norm, double eps, string x) =>
        graph.Node("LayerNormalization", [x, graph.Constant($"{name}.weight", norm.Weight), graph.Constant($"{name}.bias", norm.Bias)], null,
            Attribute("axis", -1L), Attribute("epsilon", (float)eps));
}
