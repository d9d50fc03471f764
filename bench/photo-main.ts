// The photo part of the bench alone: node dist/bench/photo-main.js
import { photoBench } from "./photo.js";

if (!(await photoBench("relaxed", (t) => console.log(t)))) console.log("data/photo.safetensors is missing");
