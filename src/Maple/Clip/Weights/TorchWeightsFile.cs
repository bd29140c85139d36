using System.IO.Compression;
using Maple.Clip.Checkpoints;
using static TorchSharp.torch;

namespace Maple.Clip.Weights;

/// <summary>
/// Reads the state dict of a PyTorch model file (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>): either a TorchScript
/// archive written by <c>torch.jit.save</c> (OpenAI's original <c>ViT-B-16.pt</c> and its siblings) or a
/// state dict written by <c>torch.save</c> (open_clip, OpenAI's non-JIT weights, <c>pytorch_model.bin</c>).
/// The two are told apart by their content, not their extension.
/// </summary>
static class TorchWeightsFile
{
    /// <summary>The tensors by name, as new CPU tensors the caller owns.</summary>
    /// <exception cref="InvalidDataException">The file is neither kind, or is damaged; the message names it.</exception>
    /// <exception cref="UnsafePickleException">A torch.save file's pickle asks for something outside the reader's allow-list.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (IsTorchScript(path))
            return ReadTorchScript(path);
        try
        {
            return TorchCheckpointReader.LoadStateDict(path).ToDictionary(StringComparer.Ordinal);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException(
                $"{path} is neither a TorchScript archive (torch.jit.save) nor a state dict saved with torch.save: {ex.Message}", ex);
        }
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

    // libtorch reads TorchScript archives itself: the pickle inside names TorchScript classes whose code
    // ships in the archive, which the allow-listed reader cannot interpret. Only TorchScript runs (no
    // Python), and nothing here calls the model's methods. The storages are mapped to the CPU because
    // archives saved from a GPU record "cuda" locations, which a CPU-only libtorch cannot create.
    static Dictionary<string, Tensor> ReadTorchScript(string path)
    {
        try
        {
            using var module = jit.load(path, TorchSharp.DeviceType.CPU);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, value) in module.state_dict())
            {
                using (value)
                    result[name] = value.detach().clone();
            }
            return result;
        }
        catch (Exception ex) when (ex is not (FileNotFoundException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{path}: not a readable TorchScript archive: {FirstLine(ex.Message)}", ex);
        }
    }

    // libtorch appends a C++ stack trace to its messages.
    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
