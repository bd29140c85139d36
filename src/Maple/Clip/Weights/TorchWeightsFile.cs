using System.IO.Compression;
using Maple.Clip.Checkpoints;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>
/// Reads the state dict of a PyTorch model file (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>): either a TorchScript
/// archive written by <c>torch.jit.save</c> (OpenAI's original <c>ViT-B-16.pt</c> and its siblings) or a
/// state dict written by <c>torch.save</c> (open_clip, OpenAI's non-JIT weights, <c>pytorch_model.bin</c>).
/// The two are told apart by their content, not their extension. Both are read as data: nothing in the file
/// runs (see <see cref="TorchScriptReader"/> and <see cref="TorchCheckpointReader"/>).
/// </summary>
static class TorchWeightsFile
{
    /// <summary>The tensors by name, as new CPU tensors the caller owns.</summary>
    /// <exception cref="InvalidDataException">The file is neither kind, or is damaged; the message names it.</exception>
    /// <exception cref="UnsafePickleException">The file's pickle asks for something outside the reader's allow-list, or its TorchScript code would have to run.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path) => ReadStateDict(path, CheckpointLimits.Default);

    /// <summary>The tensors by name, reading within <paramref name="limits"/>.</summary>
    /// <exception cref="InvalidDataException">The file is neither kind, is damaged or exceeds a limit; the message names it.</exception>
    /// <exception cref="UnsafePickleException">The file's pickle asks for something outside the reader's allow-list, or its TorchScript code would have to run.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path, CheckpointLimits limits)
    {
        if (IsTorchScript(path))
            return ReadTorchScript(path, limits);
        return TorchCheckpointReader.LoadStateDict(path, out _, limits).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a zip archive with TorchScript's records (compiled code or its
    /// constants table) beside the pickle; torch.save archives have neither.
    /// </summary>
    public static bool IsTorchScript(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.Entries.Any(e =>
            {
                var parts = e.FullName.Split('/');
                return parts.Length >= 2 && (parts[1] is "constants.pkl" or "code" or "model.json");
            });
        }
        catch (InvalidDataException)
        {
            return false; // not a zip archive: a legacy torch.save file or something else, which the caller reports
        }
    }

    // Read as data, never with libtorch's loader, which would compile and run the archive's code.
    static Dictionary<string, Tensor> ReadTorchScript(string path, CheckpointLimits limits) =>
        TorchScriptReader.LoadStateDict(path, limits).ToDictionary(StringComparer.Ordinal);
}
