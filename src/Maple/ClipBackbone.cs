using Maple.Clip;
using Maple.Clip.Hub;
using Maple.Data;
using Maple.Evaluation;
using Maple.Prompting;
using Maple.Training;

namespace Maple;

/// <summary>
/// A pretrained CLIP, frozen: the start of everything Maple does. Make a zero-shot classifier from class names
/// (<see cref="ZeroShot"/>), learn prompts on labelled images (<see cref="TrainPromptsAsync"/>), or load prompts
/// learned before (<see cref="LoadClassifier"/>).
/// </summary>
/// <example>
/// <code>
/// using var clip = await ClipBackbone.LoadAsync("openai/clip-vit-base-patch16");
/// using var classifier = clip.ZeroShot(["cat", "dog"]);
/// foreach (var score in classifier.Predict("photo.jpg", top: 2))
///     Console.WriteLine($"{score.ClassName}: {score.Probability:P1}");
/// </code>
/// </example>
public sealed class ClipBackbone : IDisposable
{
    /// <summary>Wraps a loaded CLIP, which this object then owns and disposes.</summary>
    public ClipBackbone(PretrainedClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        Pretrained = clip;
    }

    /// <summary>The model, its tokenizer and where it came from: the lower layer, for researchers.</summary>
    public PretrainedClip Pretrained { get; }

    /// <summary>The model id or path it was loaded from.</summary>
    public string Source => Pretrained.Source;

    /// <summary>
    /// Loads a CLIP: a Hugging Face model id (from the local Hugging Face cache, else downloaded into it), a Hugging
    /// Face folder, open_clip weights with their config, or an OpenAI <c>.pt</c> archive. Files are read as data,
    /// never run. See <see cref="PretrainedClip.LoadAsync"/> for the details.
    /// </summary>
    /// <param name="model">The id, folder or file.</param>
    /// <param name="precision">fp32, bf16, or auto (bf16 where the CPU has native bf16).</param>
    /// <param name="config">An architecture config for weights that carry none beside them.</param>
    /// <param name="tokenizerFolder">A folder with <c>vocab.json</c> and <c>merges.txt</c>, for files that carry no tokenizer.</param>
    /// <param name="progress">Told how a download advances.</param>
    /// <param name="cancellation">Stops a download.</param>
    /// <param name="device">
    /// Where the model computes (<see cref="ComputeDevice.Parse"/> reads <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>); the CPU when null.
    /// Checked before anything is read.
    /// </param>
    /// <exception cref="UserInputException">The device is not available here, with the reason.</exception>
    public static async Task<ClipBackbone> LoadAsync(string model, Precision precision = Precision.Auto, string? config = null,
        string? tokenizerFolder = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellation = default,
        TorchSharp.torch.Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ClipBackbone(await PretrainedClip.LoadAsync(model, precision, tokenizerFolder, progress, config: config, cancellation: cancellation, device: device));
    }

    /// <summary>
    /// Zero-shot CLIP over <paramref name="classNames"/>: each class worded by <paramref name="templates"/>
    /// (ensembled when several; "a photo of a {}." when null), nothing learned.
    /// </summary>
    /// <param name="classNames">The classes; underscores become spaces in the prompts.</param>
    /// <param name="templates">Templates with <c>{}</c> for the class name, e.g. <see cref="PromptTemplates.ForBenchmark"/>'s.</param>
    /// <exception cref="UserInputException">No class, a blank class name, or a template without <c>{}</c>.</exception>
    public ImageClassifier ZeroShot(IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        var learner = PromptLearners.Create(PromptConfig.ZeroShot(), Pretrained.Model, Pretrained.Tokenizer, seed: 0);
        return new ImageClassifier(new FeatureExtractor(Pretrained), learner, classNames, templates);
    }

    /// <summary>
    /// A classifier with the prompts of <paramref name="promptsPath"/> (a <c>prompt.safetensors</c> from training, a
    /// checkpoint, or prompts imported from the authors' code), over <paramref name="classNames"/> or, when null, the
    /// classes the prompts were trained on. Learned prompts also score classes they were not trained on.
    /// </summary>
    /// <param name="promptsPath">The prompts file.</param>
    /// <param name="classNames">The classes to score; null for those the file records as trained.</param>
    /// <param name="mmrlReadout">
    /// MMRL prompts: which of their logits classify. Null follows MMRL's authors at test time: fused logits when every
    /// class scored was trained on (their base classes), the class token's alone otherwise (their novel classes and
    /// cross-dataset targets, and any file that records no classes). Ignored for other methods.
    /// </param>
    /// <param name="ctxInit">The context's init words, for a file without metadata (its method and shape are inferred from its tensors).</param>
    /// <exception cref="UserInputException">No class names given and the file records none.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or its prompts do not fit this backbone.</exception>
    public ImageClassifier LoadClassifier(string promptsPath, IReadOnlyList<string>? classNames = null, MmrlReadout? mmrlReadout = null,
        string ctxInit = "a photo of a")
    {
        ArgumentNullException.ThrowIfNull(promptsPath);
        using var checkpoint = PromptCheckpoint.Read(promptsPath, ctxInit);
        var classes = classNames ?? checkpoint.ClassNames
            ?? throw new UserInputException($"{promptsPath}: the prompts record no class names; give the class names to classify");
        var readout = mmrlReadout ?? MmrlOutputs.ReadoutFor(checkpoint.ClassNames, classes);
        var learner = checkpoint.CreateLearner(Pretrained.Model, Pretrained.Tokenizer);
        return new ImageClassifier(new FeatureExtractor(Pretrained), learner, classes, templates: null, readout: readout);
    }

    /// <summary>
    /// Learns prompts on labelled images with <paramref name="method"/>'s prompts and recipe (the backbone stays
    /// frozen), on a thread-pool thread. <paramref name="outputFolder"/> receives <c>prompt.safetensors</c>, a
    /// checkpoint per epoch, <c>train.jsonl</c> and <c>train.log</c>; a run there that was stopped continues with
    /// <paramref name="resume"/>.
    /// </summary>
    /// <param name="data">The images, e.g. <see cref="ImageFolder.Load"/> of a folder with one sub-folder per class.</param>
    /// <param name="method">
    /// A preset (<see cref="MethodPreset.Get"/>, given a <see cref="TrainingProtocol"/> for the config the method's authors
    /// use in that protocol), adapted to the backbone or the budget with
    /// <see cref="MethodPreset.Adapt"/> (e.g. <c>depth: 3</c> for a backbone of three layers) and its
    /// <see cref="MethodPreset.Options"/> replaced with <c>with { ... }</c>.
    /// </param>
    /// <param name="outputFolder">Where the run writes (locked while it runs).</param>
    /// <param name="progress">Told after every step.</param>
    /// <param name="resume">Continue the run in <paramref name="outputFolder"/> from its last checkpoint.</param>
    /// <param name="cancellation">Stops between steps; the last finished epoch's checkpoint stays.</param>
    /// <exception cref="UserInputException">Settings that do not fit the data or the backbone, or an earlier run in the folder.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (try a lower learning rate).</exception>
    public Task<TrainedPrompts> TrainPromptsAsync(ImageDataset data, MethodPreset method, string outputFolder,
        IProgress<TrainingProgress>? progress = null, bool resume = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(outputFolder);
        return Task.Run(() =>
        {
            method.Prompts.Validate(Pretrained.Model.Config, method.Name);
            var options = method.Options;
            using var learner = PromptLearners.Create(method.Prompts, Pretrained.Model, Pretrained.Tokenizer, options.Seed);
            using var prompted = new PromptedClip(Pretrained.Model, learner, Pretrained.Tokenizer, data.ClassNames);
            var trainer = new Trainer(prompted, data, options, outputFolder, Source);
            var path = trainer.Run(resume, progress, cancellation);
            return new TrainedPrompts(this, path, data.ClassNames, learner.Config.Method, trainer.SkippedImages);
        }, cancellation);
    }

    /// <inheritdoc />
    public void Dispose() => Pretrained.Dispose();
}
