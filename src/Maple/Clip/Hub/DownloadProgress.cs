namespace Maple.Clip.Hub;

/// <summary>How far the download of one file has got.</summary>
/// <param name="FileName">The file within the repository, e.g. <c>model.safetensors</c>.</param>
/// <param name="BytesDone">Bytes on disk so far, including any resumed part from an earlier attempt.</param>
/// <param name="TotalBytes">The file's size when the server gave it.</param>
/// <param name="BytesPerSecond">Transfer rate of this attempt, averaged since it started.</param>
public sealed record DownloadProgress(string FileName, long BytesDone, long? TotalBytes, double BytesPerSecond);
