# The admin UI: built with Node 24, served by nginx with the security headers and a proxy of
# /api to the API (deploy/nginx/templates/, rendered by the image's envsubst at start).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npx tsx scripts/build-ui.ts

FROM nginx:1.27-alpine
COPY deploy/nginx/templates /etc/nginx/templates
COPY --from=build /app/ui/dist /usr/share/nginx/html
EXPOSE 80
HEALTHCHECK --interval=30s --timeout=3s CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
