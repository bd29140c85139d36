using Maple.Clip.Hub;
using Maple.Tokenization;

namespace Maple.Clip;

/// <summary>A CLIP ready to use: the frozen model, its tokenizer and where it came from.</summary>
public sealed class PretrainedClip : IDisposable
{
    PretrainedClip(string source, ClipModel model, ClipTokenizer tokenizer)
    {
        Source = source;
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The model id or path it was loaded from (recorded in checkpoints and results).</summary>
    public string Source { get; }

    /// <summary>The frozen model.</summary>
    public ClipModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>
    /// Loads a model id (<c>openai/clip-vit-base-patch16</c>: the local Hugging Face cache first, else a
    /// download), a Hugging Face folder, or an OpenAI-layout checkpoint file. OpenAI checkpoints carry no
    /// tokenizer: it is taken from <paramref name="tokenizerFolder"/> or the file's folder. The architecture is
    /// read from <paramref name="config"/> when given, else from the config beside the weights (see
    /// <see cref="Weights.ClipWeightLoader.Load"/>). The model computes on <paramref name="device"/> (the CPU when null).
    /// </summary>
    /// <exception cref="UserInputException">The device is not available here (checked before anything is read).</exception>
    public static async Task<PretrainedClip> LoadAsync(string model, Precision precision = Precision.Auto, string? tokenizerFolder = null,
        IProgress<DownloadProgress>? progress = null, HubOptions? hub = null, string? config = null, CancellationToken cancellation = default,
        TorchSharp.torch.Device? device = null)
    {
        if (device is not null)
            ComputeDevice.Check(device);
        string weights, folder;
        if (File.Exists(model))
        {
            weights = model;
            folder = Path.GetDirectoryName(Path.GetFullPath(model))!;
        }
        else
        {
            weights = folder = await new ModelResolver(hub ?? HubOptions.FromEnvironment()).ResolveAsync(model, progress, cancellation);
        }

        // Reading and parsing the vocabulary and merges takes about 0.2 s: on another core, while the weights load.
        var tokenizer = Task.Run(() => LoadTokenizer(tokenizerFolder ?? folder), cancellation);
        ClipModel clip;
        try
        {
            clip = ClipModel.Load(weights, precision, config, device);
        }
        catch
        {
            // The model's error is the one to report; the tokenizer's, if any, is observed and dropped.
            await tokenizer.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        try
        {
            return new PretrainedClip(model, clip, await tokenizer.ConfigureAwait(false));
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    static ClipTokenizer LoadTokenizer(string vocabularyFolder) => File.Exists(Path.Combine(vocabularyFolder, "vocab.json"))
        ? ClipTokenizer.FromDirectory(vocabularyFolder)
        : throw new FileNotFoundException(
            $"{vocabularyFolder}: no vocab.json/merges.txt for the tokenizer (OpenAI checkpoints carry none: pass --tokenizer with a folder that has them, e.g. a Hugging Face CLIP folder)");

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
