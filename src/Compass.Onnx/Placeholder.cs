namespace Compass.Onnx; internal static class Placeholder {}
